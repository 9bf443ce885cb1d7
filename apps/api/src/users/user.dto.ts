import { ApiProperty } from '@nestjs/swagger';
import type { AuthUser } from '@pantheon/auth';

export class MeResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ nullable: true, type: String }) picture_url!: string | null;
  @ApiProperty({ type: [String], description: 'Realm roles from the access token' }) roles!: string[];
}

export function mapMe(user: AuthUser): MeResponseDto {
  return { id: user.id, email: user.email, name: user.name, picture_url: user.pictureUrl, roles: user.roles };
}
