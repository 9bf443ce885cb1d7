import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import {
  ChatProvider,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  formatModelRef,
  parseModelRef,
  ProviderError,
  ProviderErrorCode,
  ProviderId,
  ProviderRegistry,
  Usage,
} from '@pantheon/providers';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { AiAccessService, ResolvedKey } from './ai-access.service';

export interface LlmCallContext {
  userId: string;
  projectId: string | null;
  source: 'chat' | 'gateway';
  provider: ChatProvider;
  providerId: ProviderId;
  model: string;
  key: ResolvedKey;
}

type Prices = Record<string, { input: number; output: number }>;

/**
 * One provider call for a user: the owner's key decrypted in memory, budgets checked first, usage (tokens,
 * cost when known, latency, key, project) recorded after — for the chat API and the LLM gateway alike.
 */
@Injectable()
export class LlmCallService {
  private readonly prices: Prices;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly access: AiAccessService,
  ) {
    this.prices = JSON.parse(config.MODEL_PRICES) as Prices;
  }

  /** Resolves `provider/model`, checks budgets and picks the key. Throws 4xx before anything is sent. */
  async prepare(userId: string, projectId: string | null, modelRef: string, source: 'chat' | 'gateway', keyId?: string): Promise<LlmCallContext> {
    let ref;
    try {
      ref = parseModelRef(modelRef);
    } catch {
      throw new DomainError(DomainErrorCode.Invalid, 'model must look like provider/model, e.g. openai/gpt-4o');
    }
    const key = await this.access.authorizeCall(userId, projectId, ref.provider, keyId);
    return { userId, projectId, source, provider: this.registry.get(ref.provider), providerId: ref.provider, model: ref.model, key };
  }

  async complete(ctx: LlmCallContext, request: Omit<ChatRequest, 'model'>, signal: AbortSignal): Promise<ChatResult> {
    const started = Date.now();
    try {
      const result = await ctx.provider.chat({ ...request, model: ctx.model, apiKey: ctx.key.apiKey, baseUrl: ctx.key.baseUrl, signal });
      await this.record(ctx, 'ok', result.usage, started);
      return result;
    } catch (err) {
      await this.record(ctx, statusOf(err), { promptTokens: 0, completionTokens: 0 }, started, err);
      throw err;
    }
  }

  /** Streams the answer; usage is recorded when the stream ends, however it ends (done, error, client gone). */
  async *stream(ctx: LlmCallContext, request: Omit<ChatRequest, 'model'>, signal: AbortSignal): AsyncGenerator<ChatStreamEvent> {
    const started = Date.now();
    let usage: Usage = { promptTokens: 0, completionTokens: 0 };
    let status: 'ok' | 'error' | 'aborted' = 'aborted';
    let failure: unknown;
    try {
      for await (const event of ctx.provider.streamChat({ ...request, model: ctx.model, apiKey: ctx.key.apiKey, baseUrl: ctx.key.baseUrl, signal })) {
        if (event.type === 'start' && event.promptTokens) usage = { ...usage, promptTokens: event.promptTokens };
        if (event.type === 'finish') {
          usage = event.usage;
          status = 'ok';
        }
        yield event;
      }
    } catch (err) {
      status = statusOf(err);
      failure = err;
      throw err;
    } finally {
      await this.record(ctx, status, usage, started, failure);
    }
  }

  private costOf(ctx: LlmCallContext, usage: Usage): number | null {
    const price = this.prices[formatModelRef(ctx.providerId, ctx.model)];
    return price ? (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000 : null;
  }

  private record(ctx: LlmCallContext, status: 'ok' | 'error' | 'aborted', usage: Usage, started: number, err?: unknown): Promise<void> {
    return this.access.record({
      userId: ctx.userId,
      projectId: ctx.projectId,
      keyId: ctx.key.keyId,
      source: ctx.source,
      provider: ctx.providerId,
      model: ctx.model,
      status,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      costUsd: this.costOf(ctx, usage),
      latencyMs: Date.now() - started,
      errorCode: err instanceof ProviderError ? err.code : err ? 'INTERNAL' : null,
    });
  }
}

function statusOf(err: unknown): 'error' | 'aborted' {
  return err instanceof ProviderError && err.code === ProviderErrorCode.ABORTED ? 'aborted' : 'error';
}
