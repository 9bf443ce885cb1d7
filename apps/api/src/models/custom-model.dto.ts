import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { CustomModelRecord } from '@pantheon/db';
import { PROVIDER_IDS, ProviderId } from '@pantheon/providers';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { PageInfoDto } from '../common/pagination.dto';
import { ModelParametersDto } from '../common/model-parameters.dto';

export class CreateCustomModelDto {
  @ApiProperty({ enum: PROVIDER_IDS })
  @IsIn(PROVIDER_IDS, { message: `provider must be one of: ${PROVIDER_IDS.join(', ')}` })
  provider!: ProviderId;

  @ApiProperty({ example: 'meta-llama/llama-3.3-70b-instruct', description: "The provider's model id" })
  @IsString()
  @Length(1, 200)
  @Matches(/^[A-Za-z0-9._:@\/-]+$/, { message: 'model_id may contain letters, digits and . _ : @ / - only' })
  model_id!: string;

  @ApiProperty({ example: 'Llama 3.3 70B' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  display_name!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100_000_000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  context_length?: number;

  @ApiPropertyOptional({ type: ModelParametersDto, description: 'Default parameters for this model' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ModelParametersDto)
  parameters?: ModelParametersDto;
}

export class CustomModelResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: PROVIDER_IDS }) provider!: string;
  @ApiProperty() model_id!: string;
  @ApiProperty({ description: 'provider/model, usable wherever a model is chosen' }) ref!: string;
  @ApiProperty() display_name!: string;
  @ApiProperty({ nullable: true, type: Number }) context_length!: number | null;
  @ApiProperty({ type: ModelParametersDto }) parameters!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class CustomModelListResponseDto {
  @ApiProperty({ type: [CustomModelResponseDto] }) data!: CustomModelResponseDto[];
  @ApiProperty() page!: PageInfoDto;
}

export function mapCustomModel(m: CustomModelRecord): CustomModelResponseDto {
  return {
    id: m.id,
    provider: m.provider,
    model_id: m.modelId,
    ref: `${m.provider}/${m.modelId}`,
    display_name: m.displayName,
    context_length: m.contextLength,
    parameters: (m.parameters as Record<string, unknown>) ?? {},
    created_at: m.createdAt.toISOString(),
  };
}
