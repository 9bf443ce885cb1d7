import { Body, Controller, Delete, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '@pantheon/auth';
import type { Response } from 'express';
import { clientGone, sendJsonOrStream } from '../common/sse';
import { ChatHistoryDeleteQueryDto, ChatHistoryQueryDto, ChatHistoryResponseDto, ChatRequestDto, ChatResponseDto } from './chat.dto';
import { ChatService } from './chat.service';

@ApiTags('chat')
@ApiBearerAuth()
@Controller('chat')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post()
  @HttpCode(200)
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: ChatResponseDto, description: 'JSON, or with stream: SSE events delta {text} … done {…} | error {…}' })
  async send(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChatRequestDto,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const signal = clientGone(res);
    const stream = dto.stream ?? (accept ?? '').includes('text/event-stream');
    await sendJsonOrStream(res, await this.chat.answer(user, dto, stream, signal), signal);
  }

  @Get('history')
  @ApiOkResponse({ type: ChatHistoryResponseDto })
  history(@CurrentUser() user: AuthUser, @Query() q: ChatHistoryQueryDto): Promise<ChatHistoryResponseDto> {
    return this.chat.history(user, q);
  }

  @Delete('history')
  @ApiOkResponse({ description: '{deleted: n}; needs ?confirm=delete' })
  clearHistory(@CurrentUser() user: AuthUser, @Query() q: ChatHistoryDeleteQueryDto): Promise<{ deleted: number }> {
    return this.chat.clearHistory(user, q);
  }
}
