import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { UserSettingsRecord } from '@pantheon/db';
import { MODEL_REF_PATTERN } from '@pantheon/providers';
import { Type } from 'class-transformer';
import { IsNumber, IsObject, IsOptional, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { ModelParametersDto } from '../common/model-parameters.dto';

/** PUT replaces the settings: omitted fields return to their defaults. */
export class UpdateUserSettingsDto {
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: 'anthropic/claude-sonnet-4',
    description: 'Default model as provider/model; null = platform default (OpenRouter)',
  })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @MaxLength(200)
  @Matches(MODEL_REF_PATTERN, { message: 'preferred_model must look like provider/model, e.g. openai/gpt-4o' })
  preferred_model?: string | null;

  @ApiPropertyOptional({ type: ModelParametersDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ModelParametersDto)
  model_parameters?: ModelParametersDto;

  @ApiPropertyOptional({ nullable: true, type: Number, minimum: 0, description: 'Monthly spend limit in USD; null = none' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 4 })
  @Min(0)
  @Max(1_000_000)
  monthly_budget_usd?: number | null;
}

export class UserSettingsResponseDto {
  @ApiProperty({ nullable: true, type: String }) preferred_model!: string | null;
  @ApiProperty({ type: ModelParametersDto }) model_parameters!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: Number }) monthly_budget_usd!: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) updated_at!: string | null;
}

export function mapUserSettings(s: UserSettingsRecord | null): UserSettingsResponseDto {
  return {
    preferred_model: s?.preferredModel ?? null,
    model_parameters: (s?.modelParameters as Record<string, unknown> | undefined) ?? {},
    monthly_budget_usd: s?.monthlyBudgetUsd == null ? null : Number(s.monthlyBudgetUsd),
    updated_at: s ? s.updatedAt.toISOString() : null,
  };
}
