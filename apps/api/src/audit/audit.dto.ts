import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AuditEntryRecord } from '@pantheon/db';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export class AuditQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit: number = 50;

  @ApiPropertyOptional({ description: 'Cursor: `next_before` of the previous page' })
  @IsOptional() @Matches(/^[1-9][0-9]{0,17}$/, { message: 'before must be a positive integer cursor' })
  before?: string;

  @ApiPropertyOptional({ example: 'api_key.created' })
  @IsOptional() @IsString() @Matches(/^[a-z_]+\.[a-z_]+$/, { message: 'action must look like api_key.created' })
  action?: string;
}

export class AuditEntryDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Position in the caller\'s hash chain' }) seq!: string;
  @ApiProperty({ example: 'api_key.created' }) action!: string;
  @ApiProperty({ nullable: true, type: String }) target_type!: string | null;
  @ApiProperty({ nullable: true, type: String }) target_id!: string | null;
  @ApiProperty({ type: Object }) metadata!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) request_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) ip!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class AuditListResponseDto {
  @ApiProperty({ type: [AuditEntryDto] }) data!: AuditEntryDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `before` for the next page; null at the end' })
  next_before!: string | null;
}

export class AuditVerifyResponseDto {
  @ApiProperty({ description: 'True when every entry links to the previous one and its hash verifies' }) valid!: boolean;
  @ApiProperty() entries!: number;
  @ApiProperty({ nullable: true, type: String }) first_broken_seq!: string | null;
}

export function mapAuditEntry(e: AuditEntryRecord): AuditEntryDto {
  return {
    id: e.id.toString(),
    seq: e.seq.toString(),
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    metadata: (e.metadata as Record<string, unknown>) ?? {},
    request_id: e.requestId,
    ip: e.ip,
    created_at: e.createdAt.toISOString(),
  };
}
