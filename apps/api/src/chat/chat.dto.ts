import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ChatMessageRecord } from '@pantheon/db';
import { MODEL_REF_PATTERN } from '@pantheon/providers';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { PageInfoDto, PageQueryDto } from '../common/pagination.dto';
import { ModelParametersDto } from '../common/model-parameters.dto';

export class ChatTurnDto {
  @ApiProperty({ enum: ['system', 'user', 'assistant'] })
  @IsIn(['system', 'user', 'assistant'], { message: 'role must be system, user or assistant' })
  role!: 'system' | 'user' | 'assistant';

  @ApiProperty({ maxLength: 100_000 })
  @IsString()
  @Length(1, 100_000)
  content!: string;
}

export class ChatRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Chat in the context of one of your projects (and its history)' })
  @IsOptional()
  @IsUUID('all', { message: 'project_id must be a UUID' })
  project_id?: string;

  @ApiPropertyOptional({ example: 'anthropic/claude-sonnet-4', description: 'Default: your preferred model' })
  @IsOptional()
  @Matches(MODEL_REF_PATTERN, { message: 'model must look like provider/model, e.g. openai/gpt-4o' })
  model?: string;

  @ApiPropertyOptional({ type: [ChatTurnDto], description: 'The whole conversation (exclusive with message)' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => ChatTurnDto)
  messages?: ChatTurnDto[];

  @ApiPropertyOptional({ description: 'One new user message; earlier history is sent as context (exclusive with messages)' })
  @IsOptional()
  @IsString()
  @Length(1, 100_000)
  message?: string;

  @ApiPropertyOptional({ type: ModelParametersDto, description: 'Overrides your saved model_parameters' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ModelParametersDto)
  parameters?: ModelParametersDto;

  @ApiPropertyOptional({ description: 'Stream tokens as server-sent events (default when Accept: text/event-stream)' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({ description: "Let the model call the project's tools (MCP) until it answers; needs project_id" })
  @IsOptional()
  @IsBoolean()
  use_project_tools?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'Use this API key instead of the newest working one' })
  @IsOptional()
  @IsUUID('all', { message: 'key_id must be a UUID' })
  key_id?: string;
}

export class ChatUsageDto {
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
}

export class ChatResponseDto {
  @ApiProperty({ example: 'anthropic/claude-sonnet-4' }) model!: string;
  @ApiProperty() message!: { role: 'assistant'; content: string };
  @ApiProperty({ enum: ['end', 'length', 'tool_calls', 'error'] }) stop_reason!: string;
  @ApiProperty() usage!: ChatUsageDto;
}

export class ChatHistoryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'project_id must be a UUID' })
  project_id?: string;
}

export class ChatHistoryDeleteQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this project’s history' })
  @IsOptional()
  @IsUUID('all', { message: 'project_id must be a UUID' })
  project_id?: string;

  @ApiProperty({ description: 'Must be the word "delete", confirming the history is erased for good' })
  @IsOptional()
  @IsString()
  confirm?: string;
}

export class ChatMessageDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true, type: String }) project_id!: string | null;
  @ApiProperty({ enum: ['system', 'user', 'assistant', 'tool'] }) role!: string;
  @ApiProperty() content!: string;
  @ApiProperty({ nullable: true, type: String }) model!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class ChatHistoryResponseDto {
  @ApiProperty({ type: [ChatMessageDto] }) data!: ChatMessageDto[];
  @ApiProperty() page!: PageInfoDto;
}

export function mapChatMessage(m: ChatMessageRecord): ChatMessageDto {
  return { id: m.id, project_id: m.projectId, role: m.role, content: m.content, model: m.model, created_at: m.createdAt.toISOString() };
}
