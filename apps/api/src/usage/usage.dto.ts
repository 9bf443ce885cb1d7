import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';

export const USAGE_GROUPS = ['model', 'provider', 'project', 'day', 'requested_model'] as const;

export class UsageQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive; default: start of the current month (UTC)' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'from must be an ISO-8601 date or date-time' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive; default: now' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'to must be an ISO-8601 date or date-time' })
  to?: string;

  @ApiPropertyOptional({ enum: USAGE_GROUPS, default: 'model' })
  @IsOptional() @IsIn(USAGE_GROUPS, { message: `group_by must be one of: ${USAGE_GROUPS.join(', ')}` })
  group_by?: (typeof USAGE_GROUPS)[number];
}

export class UsageRowDto {
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The group value (model ref, provider, project id, day, or the model name a gateway client asked for; null: none)',
  })
  group!: string | null;
  @ApiProperty() requests!: number;
  @ApiProperty({ description: 'Includes cache_read_tokens and cache_write_tokens' }) prompt_tokens!: number;
  @ApiProperty({ description: 'Includes reasoning_tokens' }) completion_tokens!: number;
  @ApiProperty({ description: 'Thinking tokens, as the provider reported them' }) reasoning_tokens!: number;
  @ApiProperty({ description: 'Prompt tokens read from the provider\'s prompt cache' }) cache_read_tokens!: number;
  @ApiProperty({ description: 'Prompt tokens written to the provider\'s prompt cache' }) cache_write_tokens!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'USD, for priced models (MODEL_PRICES, OpenRouter\'s catalogue); cached tokens at their cache rates when known' })
  cost_usd!: number | null;
}

export class UsageResponseDto {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ enum: USAGE_GROUPS }) group_by!: string;
  @ApiProperty({ type: [UsageRowDto] }) data!: UsageRowDto[];
  @ApiProperty({ type: UsageRowDto }) totals!: UsageRowDto;
}
