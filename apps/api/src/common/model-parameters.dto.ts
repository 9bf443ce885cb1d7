import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsInt, IsNumber, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';

/** Optional, but when present must be valid: unlike @IsOptional, null is rejected rather than stored. */
const IsOptional = (): PropertyDecorator => ValidateIf((_, value) => value !== undefined);

/** Sampling parameters, validated to the ranges providers accept. Unknown parameters are rejected. */
export class ModelParametersDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000 })
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000)
  max_tokens?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1)
  top_p?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000 })
  @IsOptional() @IsInt() @Min(1) @Max(1000)
  top_k?: number;

  @ApiPropertyOptional({ minimum: -2, maximum: 2 })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(-2) @Max(2)
  frequency_penalty?: number;

  @ApiPropertyOptional({ minimum: -2, maximum: 2 })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(-2) @Max(2)
  presence_penalty?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(2)
  repetition_penalty?: number;

  @ApiPropertyOptional({ description: 'Deterministic sampling seed' })
  @IsOptional() @IsInt() @Min(0) @Max(2_147_483_647)
  seed?: number;

  @ApiPropertyOptional({ type: [String], maxItems: 4, description: 'Stop sequences' })
  @IsOptional() @IsArray() @ArrayMaxSize(4) @IsString({ each: true }) @MaxLength(64, { each: true })
  stop?: string[];
}

/** Drops undefined fields so stored JSON holds only what the user set. */
export function toParameterObject(dto: ModelParametersDto | undefined): Record<string, number | string[]> {
  return Object.fromEntries(Object.entries(dto ?? {}).filter(([, v]) => v !== undefined)) as Record<string, number | string[]>;
}
