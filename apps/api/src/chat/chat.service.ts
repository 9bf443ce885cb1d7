import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthUser } from '@pantheon/auth';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { KeyRing, toolsApiCredential } from '@pantheon/crypto';
import { ChatRepository, DbService, ProjectRepository, UserSettingsRepository } from '@pantheon/db';
import { ChatMessage, ChatResult, ChatStreamAccumulator, ModelParameters } from '@pantheon/providers';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { isCallFailure, mapError } from '../common/error-map';
import { toParameterObject } from '../common/model-parameters.dto';
import { pageInfo } from '../common/pagination.dto';
import type { JsonOrStream, SseFrame } from '../common/sse';
import { closeMetered, completeMetered, MeteredCall, MeteringDeps, openMeteredCall, streamMetered } from '../usage/metered-call';
import { KEY_RING } from '../provider-keys/key-ring.provider';
import { METERING } from '../usage/metering.provider';
import { ChatHistoryDeleteQueryDto, ChatHistoryQueryDto, ChatHistoryResponseDto, ChatRequestDto, ChatResponseDto, mapChatMessage } from './chat.dto';
import { runningProjectSubnet } from '../projects/running-project';
import { McpToolSource } from './mcp-tool-source';
import { runToolLoop } from './tool-loop';

interface PreparedChat {
  call: MeteredCall;
  /** The project's MCP endpoint when the chat may use its tools. */
  toolsUrl: string | null;
  /** The bearer credential that project's tools API requires. */
  toolsCredential: string | null;
  modelRef: string;
  messages: ChatMessage[];
  parameters: ModelParameters;
  /** What gets saved to history when the answer is complete. */
  newTurns: { role: 'system' | 'user' | 'assistant'; content: string }[];
}

/**
 * The user-facing chat: picks the model (request → settings → platform default), merges parameters, sends
 * recent history as context, streams or returns the answer, and saves the turn to history.
 */
@Injectable()
export class ChatService {
  private readonly logger = new Logger('ChatService');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(METERING) private readonly metering: MeteringDeps,
    private readonly db: DbService,
    private readonly chats: ChatRepository,
    private readonly settings: UserSettingsRepository,
    private readonly projects: ProjectRepository,
    @Inject(KEY_RING) private readonly ring: KeyRing,
  ) {}

  /**
   * The answer as JSON, or as SSE frames (`delta {text}` … `done {…}`, or `error {…}`). Everything that can be
   * refused (validation, budgets, keys, tools) is checked before this resolves, so it still gets a JSON error.
   */
  async answer(user: AuthUser, dto: ChatRequestDto, stream: boolean, signal: AbortSignal): Promise<JsonOrStream<ChatResponseDto>> {
    const chat = await this.prepare(user, dto);
    if (!stream) return { json: await this.complete(user, chat, signal) };
    const errorFrame = (err: unknown): SseFrame => {
      if (!isCallFailure(err)) this.logger.error({ userId: user.id, err: (err as Error).message }, 'chat stream failed');
      const mapped = mapError(err);
      return { event: 'error', data: { statusCode: mapped.status, message: mapped.message } };
    };
    if (chat.toolsUrl) {
      // Tool turns are not streamed; the final answer is sent as one delta.
      const done = await this.complete(user, chat, signal);
      return { stream: [{ event: 'delta', data: { text: done.message.content } }, { event: 'done', data: done }], errorFrame };
    }
    return { stream: this.streamFrames(user, chat, signal), errorFrame };
  }

  private async prepare(user: AuthUser, dto: ChatRequestDto): Promise<PreparedChat> {
    if ((dto.messages === undefined) === (dto.message === undefined)) {
      throw new DomainError(DomainErrorCode.INVALID, 'Send either messages (the whole conversation) or message (one new message)');
    }
    const projectId = dto.project_id ?? null;
    if (dto.use_project_tools && !projectId) throw new DomainError(DomainErrorCode.INVALID, 'use_project_tools needs project_id');
    const { settings, history, toolsUrl } = await this.db.withUser(user.id, async (tx) => {
      const project = projectId ? await this.projects.findLive(tx, projectId) : null;
      if (projectId && !project) throw DomainError.notFound('Project');
      let toolsUrl: string | null = null;
      if (dto.use_project_tools) {
        toolsUrl = this.config.TOOLS_MCP_URL_TEMPLATE.replace('{tools_ip}', runningProjectSubnet(project, 'its tools are not available').tools);
      }
      return {
        toolsUrl,
        settings: await this.settings.find(tx, user.id),
        history: dto.message !== undefined ? await this.chats.recent(tx, projectId, this.config.CHAT_HISTORY_CONTEXT) : [],
      };
    });
    const modelRef = dto.model ?? settings?.preferredModel ?? this.config.DEFAULT_MODEL;
    const parameters: ModelParameters = {
      ...((settings?.modelParameters as ModelParameters | undefined) ?? {}),
      ...toParameterObject(dto.parameters),
    };
    let messages: ChatMessage[];
    let newTurns: PreparedChat['newTurns'];
    if (dto.message !== undefined) {
      const context = history
        .filter((m) => m.role === 'user' || m.role === 'assistant')
        .map((m): ChatMessage => ({ role: m.role as 'user' | 'assistant', content: m.content }));
      messages = [...context, { role: 'user', content: dto.message }];
      newTurns = [{ role: 'user', content: dto.message }];
    } else {
      messages = dto.messages!.map((m): ChatMessage => ({ role: m.role, content: m.content }));
      const last = dto.messages![dto.messages!.length - 1];
      newTurns = last.role === 'user' ? [{ role: 'user', content: last.content }] : [];
    }
    const call = await openMeteredCall(this.metering, { userId: user.id, projectId, modelRef, source: 'chat', keyId: dto.key_id, request: { messages, parameters } });
    // Derived, never stored: the tools API compares it with the file the worker wrote from the same key.
    const toolsCredential = toolsUrl && projectId ? toolsApiCredential(this.ring, projectId) : null;
    return { call, toolsUrl, toolsCredential, modelRef, messages, parameters, newTurns };
  }

  private async complete(user: AuthUser, chat: PreparedChat, signal: AbortSignal): Promise<ChatResponseDto> {
    const request = { messages: chat.messages, parameters: chat.parameters, user: user.id };
    let result: ChatResult;
    try {
      result = chat.toolsUrl
        ? await this.withProjectTools(chat.toolsUrl, chat.toolsCredential ?? undefined, signal, (tools) =>
            runToolLoop(request, tools, (r) => completeMetered(this.metering, chat.call, r, signal), this.config.CHAT_MAX_TOOL_STEPS),
          ).then((out) => ({ ...out.result, usage: out.usage }))
        : await completeMetered(this.metering, chat.call, request, signal);
    } finally {
      // The tools may fail before the first model turn: its reservation must not wait for expiry.
      await closeMetered(this.metering, chat.call);
    }
    await this.save(user, chat, result);
    return this.toResponse(chat, result);
  }

  private async withProjectTools<T>(url: string, token: string | undefined, signal: AbortSignal, fn: (tools: McpToolSource) => Promise<T>): Promise<T> {
    let tools: McpToolSource;
    try {
      tools = await McpToolSource.connect(url, { token, signal });
    } catch {
      throw new DomainError(DomainErrorCode.DEPENDENCY_UNAVAILABLE, "The project's tools API did not answer");
    }
    try {
      return await fn(tools);
    } finally {
      await tools.close().catch(() => undefined);
    }
  }

  /** Text deltas as they come; the whole answer is saved, then sent as `done`. The client going away aborts the call. */
  private async *streamFrames(user: AuthUser, chat: PreparedChat, signal: AbortSignal): AsyncGenerator<SseFrame> {
    const answer = new ChatStreamAccumulator();
    for await (const event of streamMetered(this.metering, chat.call, { messages: chat.messages, parameters: chat.parameters, user: user.id }, signal)) {
      answer.push(event);
      if (event.type === 'text_delta') yield { event: 'delta', data: { text: event.text } };
    }
    const result = answer.result();
    await this.save(user, chat, result);
    yield { event: 'done', data: this.toResponse(chat, result) };
  }

  history(user: AuthUser, q: ChatHistoryQueryDto): Promise<ChatHistoryResponseDto> {
    return this.db.withUser(user.id, async (tx) => {
      const { items, total } = await this.chats.list(tx, { projectId: q.project_id, limit: q.limit, offset: q.offset });
      return { data: items.map(mapChatMessage), page: pageInfo(q, total) };
    });
  }

  async clearHistory(user: AuthUser, q: ChatHistoryDeleteQueryDto): Promise<{ deleted: number }> {
    if (q.confirm !== 'delete') {
      throw new DomainError(DomainErrorCode.CONFLICT, 'Deleting chat history cannot be undone; repeat the request with ?confirm=delete');
    }
    return this.db.withUser(user.id, async (tx) => ({ deleted: await this.chats.clear(tx, q.project_id) }));
  }

  private async save(user: AuthUser, chat: PreparedChat, result: ChatResult): Promise<void> {
    await this.db.withUser(user.id, (tx) =>
      this.chats.append(tx, user.id, [
        ...chat.newTurns.map((t) => ({ projectId: chat.call.projectId, role: t.role, content: t.content })),
        { projectId: chat.call.projectId, role: 'assistant', content: result.text, model: chat.modelRef },
      ]),
    );
  }

  private toResponse(chat: PreparedChat, result: ChatResult): ChatResponseDto {
    return {
      model: chat.modelRef,
      message: { role: 'assistant', content: result.text },
      stop_reason: result.stopReason,
      usage: { prompt_tokens: result.usage.promptTokens, completion_tokens: result.usage.completionTokens },
    };
  }
}
