import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequestMeta } from '@pantheon/auth';
import type { Response } from 'express';
import { clientGone } from '../common/client-gone';
import { IdParamDto } from '../common/id-param.dto';
import { ReqMeta } from '../common/request-meta';
import { ChatHistoryDeleteQueryDto, ChatHistoryQueryDto, ChatHistoryResponseDto, ChatRequestDto, ChatResponseDto } from './chat.dto';
import { ChatService } from './chat.service';
import { ModelListResult, ModelsService } from './models.service';
import { KeyTestResult, ProviderKeyTestService, ProviderStatus } from './provider-key-test.service';
import { UsageQueryDto, UsageResponseDto } from './usage.dto';
import { UsageService } from './usage.service';

@ApiTags('ai')
@ApiBearerAuth()
@Controller()
export class AiController {
  constructor(
    private readonly keyTests: ProviderKeyTestService,
    private readonly models: ModelsService,
    private readonly chat: ChatService,
    private readonly usage: UsageService,
  ) {}

  @Get('providers')
  @ApiOkResponse({ description: 'Every provider with has_key / last test for the caller' })
  providers(@CurrentUser() user: AuthUser): Promise<ProviderStatus[]> {
    return this.keyTests.providers(user);
  }

  @Post('user/api-keys/:id/test')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ok, provider, checked_at, error?}' })
  testKey(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto, @ReqMeta() meta: RequestMeta): Promise<KeyTestResult> {
    return this.keyTests.test(user, id, meta);
  }

  @Get('models')
  @ApiOkResponse({ description: 'Provider model lists (cached) merged with your custom models' })
  listModels(@CurrentUser() user: AuthUser): Promise<ModelListResult> {
    return this.models.list(user.id);
  }

  @Post('chat')
  @HttpCode(200)
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: ChatResponseDto, description: 'JSON, or with stream: SSE events delta {text} … done {…} | error {…}' })
  async chatCompletion(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChatRequestDto,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const signal = clientGone(res);
    const prepared = await this.chat.prepare(user, dto);
    const stream = dto.stream ?? (accept ?? '').includes('text/event-stream');
    if (stream) return this.chat.stream(user, prepared, res, signal);
    res.status(200).json(await this.chat.complete(user, prepared, signal));
  }

  @Get('chat/history')
  @ApiOkResponse({ type: ChatHistoryResponseDto })
  history(@CurrentUser() user: AuthUser, @Query() q: ChatHistoryQueryDto): Promise<ChatHistoryResponseDto> {
    return this.chat.history(user, q);
  }

  @Delete('chat/history')
  @ApiOkResponse({ description: '{deleted: n}; needs ?confirm=delete' })
  clearHistory(@CurrentUser() user: AuthUser, @Query() q: ChatHistoryDeleteQueryDto): Promise<{ deleted: number }> {
    return this.chat.clearHistory(user, q);
  }

  @Get('user/usage')
  @ApiOkResponse({ type: UsageResponseDto })
  usageSummary(@CurrentUser() user: AuthUser, @Query() q: UsageQueryDto): Promise<UsageResponseDto> {
    return this.usage.summary(user, q);
  }
}
