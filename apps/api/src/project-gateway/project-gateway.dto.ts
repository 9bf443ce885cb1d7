import { ApiProperty } from '@nestjs/swagger';
import type { ProjectGatewayRecord } from '@pantheon/db';
import { MODEL_REF_PATTERN } from '@pantheon/providers';
import { IsObject, Matches, ValidateIf } from 'class-validator';

const MODEL_REF_MESSAGE = 'must look like provider/model, e.g. openrouter/anthropic/claude-sonnet-4.5';

/** What a requested model name may look like (Anthropic and OpenAI ids, OpenRouter-style refs). */
export const ALIAS_NAME_PATTERN = /^[A-Za-z0-9._:@\/-]{1,200}$/;
export const MAX_ALIASES = 100;

/** The whole routing table of a project's LLM gateway (PUT replaces it). */
export class ProjectGatewayDto {
  @ApiProperty({ nullable: true, type: String, example: 'openrouter/anthropic/claude-sonnet-4.5', description: 'Serves any model name no other rule matches; null = such names get 404' })
  @ValidateIf((_, v) => v !== null)
  @Matches(MODEL_REF_PATTERN, { message: `default_model ${MODEL_REF_MESSAGE}` })
  default_model!: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'openrouter/deepseek/deepseek-r1', description: 'Serves requests that ask for thinking (Anthropic `thinking`, OpenAI `reasoning_effort`)' })
  @ValidateIf((_, v) => v !== null)
  @Matches(MODEL_REF_PATTERN, { message: `reasoning_model ${MODEL_REF_MESSAGE}` })
  reasoning_model!: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'openai/gpt-4o-mini', description: 'Serves haiku-class names (an agent\'s background model)' })
  @ValidateIf((_, v) => v !== null)
  @Matches(MODEL_REF_PATTERN, { message: `small_model ${MODEL_REF_MESSAGE}` })
  small_model!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'claude-opus-4-1': 'anthropic/claude-opus-4-1', 'gpt-5': 'openrouter/openai/gpt-5' },
    description: `Requested name → provider/model, checked first (a dated name such as claude-sonnet-4-5-20250929 also matches claude-sonnet-4-5). At most ${MAX_ALIASES}.`,
  })
  @IsObject()
  aliases!: Record<string, string>;
}

export class ProjectGatewayResponseDto {
  @ApiProperty({ format: 'uuid' }) project_id!: string;
  @ApiProperty({ nullable: true, type: String }) default_model!: string | null;
  @ApiProperty({ nullable: true, type: String }) reasoning_model!: string | null;
  @ApiProperty({ nullable: true, type: String }) small_model!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) aliases!: Record<string, string>;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'null: never set' }) updated_at!: string | null;
}

export function mapProjectGateway(projectId: string, r: ProjectGatewayRecord | null): ProjectGatewayResponseDto {
  return {
    project_id: projectId,
    default_model: r?.defaultModel ?? null,
    reasoning_model: r?.reasoningModel ?? null,
    small_model: r?.smallModel ?? null,
    aliases: r?.aliases ?? {},
    updated_at: r ? r.updatedAt.toISOString() : null,
  };
}
