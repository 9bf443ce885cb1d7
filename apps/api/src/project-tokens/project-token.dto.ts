import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ProjectTokenRecord } from '@pantheon/db';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';

export class CreateProjectTokenDto {
  @ApiProperty({ example: 'my-agent' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 64)
  name!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 720, default: 24, description: 'Lifetime in hours' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(720)
  ttl_hours?: number;
}

export class ProjectTokenParamsDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID('all', { message: 'id must be a UUID' }) id!: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID('all', { message: 'tokenId must be a UUID' }) tokenId!: string;
}

export class ProjectTokenResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({
    enum: ['user', 'tools', 'vm'],
    description: "tools: the platform's token for the project's tools API (renewed before it expires); vm: the short-lived gateway token in the VM user's environment (renewed past half-life); user: one you issued",
  })
  kind!: string;
  @ApiProperty({ description: 'First characters of the token, to tell tokens apart' }) prefix!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) revoked_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_used_at!: string | null;
}

export class IssuedProjectTokenResponseDto extends ProjectTokenResponseDto {
  @ApiProperty({ description: 'The token itself, shown only in this response' }) token!: string;
}

export function mapProjectToken(t: ProjectTokenRecord): ProjectTokenResponseDto {
  return {
    id: t.id,
    name: t.name,
    kind: t.kind,
    prefix: t.prefix,
    created_at: t.createdAt.toISOString(),
    expires_at: t.expiresAt.toISOString(),
    revoked_at: t.revokedAt?.toISOString() ?? null,
    last_used_at: t.lastUsedAt?.toISOString() ?? null,
  };
}
