import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { ChatParams, KeyCheckResult, ModelInfo, ProviderCallParams } from '../provider';
import { ErrorContext, httpFailureToProviderError, ProviderError, ProviderErrorCode, unreachableError } from '../provider.errors';
import type { AdapterOptions } from '../provider.settings';
import { SdkProvider, UpstreamStream } from '../sdk-provider.base';
import type { ChatResult } from '../wire/chat.model';
import { isRecord } from '../wire/codec.util';
import { neutralToOpenAIRequest, openAIResponseToNeutral, OpenAIStreamDecoder } from './openai.codec';
import { mapOpenAIError } from './openai.errors';
import type { OpenAIChatChunkLike, OpenAIChatRequest } from './openai.types';

/** The families that speak the OpenAI Chat Completions wire format. */
export const OPENAI_COMPATIBLE_IDS = ['openai', 'openrouter', 'together', 'xai', 'custom'] as const;
type OpenAICompatibleId = (typeof OPENAI_COMPATIBLE_IDS)[number];

/** Parameters the official OpenAI API rejects as unknown; OpenRouter, Together and most servers accept them. */
const NON_OPENAI_PARAMETERS = ['top_k', 'repetition_penalty'] as const;

/**
 * One adapter for every OpenAI-compatible family; they differ only in base URL, headers and which
 * non-standard parameters the server accepts.
 */
export class OpenAICompatibleProvider extends SdkProvider<OpenAI, OpenAIChatChunkLike> {
  constructor(
    override readonly id: OpenAICompatibleId,
    options: AdapterOptions = {},
  ) {
    super(options);
  }

  listModels(p: ProviderCallParams): Promise<ModelInfo[]> {
    return this.call(p, 'models', undefined, async (client, signal) => {
      // Read raw rather than through client.models.list(): Together answers with a bare array, which the SDK's
      // page class would read as an empty list.
      return this.readModelList(await client.get<unknown>('/models', { signal }));
    });
  }

  /**
   * OpenRouter's catalogue, which is public: read without a key (for its prices). Other families need a key
   * for their lists and answer with {@link listModels}.
   */
  async publicModels(): Promise<ModelInfo[]> {
    const baseUrl = this.options.baseUrl;
    if (this.id !== 'openrouter' || !baseUrl) return [];
    const ctx = { provider: this.id, apiKey: '', operation: 'models' as const };
    let res: Response;
    try {
      res = await fetch(`${baseUrl.replace(/\/$/, '')}/models`, { signal: AbortSignal.timeout(this.timeoutMs), headers: this.options.headers });
    } catch {
      throw unreachableError(ctx);
    }
    if (!res.ok) throw httpFailureToProviderError({ status: res.status }, ctx);
    return this.readModelList(await res.json());
  }

  private readModelList(body: unknown): ModelInfo[] {
    const entries: unknown[] = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.data) ? body.data : [];
    const models: ModelInfo[] = [];
    for (const entry of entries) {
      if (!isRecord(entry) || typeof entry.id !== 'string' || !entry.id) continue;
      // OpenRouter and Together add a display name and context length to OpenAI's model object.
      const name = typeof entry.name === 'string' ? entry.name : typeof entry.display_name === 'string' ? entry.display_name : undefined;
      const info = this.modelInfo(entry.id, name, entry.context_length);
      // OpenRouter prices in USD per token, as decimal strings.
      const pricing = isRecord(entry.pricing) ? entry.pricing : undefined;
      const input = Number(pricing?.prompt);
      const output = Number(pricing?.completion);
      if (this.id === 'openrouter' && pricing && Number.isFinite(input) && Number.isFinite(output) && input >= 0 && output >= 0) {
        const perMillion = (perToken: number) => Number((perToken * 1_000_000).toPrecision(12));
        info.pricing = { input: perMillion(input), output: perMillion(output) };
        // Prompt-cache reads and writes have their own rates for the models that cache.
        for (const [from, to] of [['input_cache_read', 'cache_read'], ['input_cache_write', 'cache_write']] as const) {
          const rate = Number(pricing[from]);
          if (pricing[from] !== undefined && Number.isFinite(rate) && rate >= 0) info.pricing[to] = perMillion(rate);
        }
      }
      models.push(info);
    }
    return models;
  }

  chat(p: ChatParams): Promise<ChatResult> {
    return this.call(p, 'chat', p.model, async (client, signal) => {
      const body = this.requestBody(p, false) as ChatCompletionCreateParamsNonStreaming;
      const response = await client.chat.completions.create(body, { signal, headers: p.headers });
      return openAIResponseToNeutral(response);
    });
  }

  /**
   * `POST /embeddings` as the client wrote it, only `model` replaced (the gateway's pass-through); the answer
   * comes back whole, its `usage.prompt_tokens` read for accounting.
   */
  embeddings(p: ProviderCallParams & { model: string; body: Record<string, unknown> }): Promise<Record<string, unknown> & { usage?: { prompt_tokens?: number } }> {
    return this.call(p, 'chat', p.model, (client, signal) => client.post('/embeddings', { body: { ...p.body, model: p.model }, signal }));
  }

  protected probeKey(p: ProviderCallParams): Promise<KeyCheckResult> {
    // OpenRouter serves its model list without authentication; its key endpoint checks the key.
    if (this.id === 'openrouter') {
      return this.call(p, 'models', undefined, async (client, signal) => {
        await client.get('/key', { signal });
        return { valid: true };
      });
    }
    return this.listModels(p).then((models) => ({ valid: true, modelCount: models.length }));
  }

  protected async openStream(client: OpenAI, p: ChatParams, signal: AbortSignal): Promise<UpstreamStream<OpenAIChatChunkLike>> {
    const body = this.requestBody(p, true) as ChatCompletionCreateParamsStreaming;
    const chunks = await client.chat.completions.create(body, { signal, headers: p.headers });
    return { chunks, decoder: new OpenAIStreamDecoder() };
  }

  protected mapError(error: unknown, ctx: ErrorContext): ProviderError {
    return mapOpenAIError(error, ctx);
  }

  /** The neutral request as this family's server accepts it. */
  private requestBody(p: ChatParams, stream: boolean): OpenAIChatRequest {
    const body = neutralToOpenAIRequest(p, { stream });
    if (this.id === 'openai' || this.id === 'xai') {
      for (const key of NON_OPENAI_PARAMETERS) delete body[key];
    }
    // Only OpenRouter takes a reasoning ask for any model (it ignores it where it has no meaning); the others
    // reject reasoning parameters for models that do not think, and a gateway cannot tell which those are.
    if (this.id === 'openrouter' && p.reasoning) {
      const { budgetTokens, effort } = p.reasoning;
      body.reasoning = budgetTokens
        ? { max_tokens: budgetTokens }
        : effort && effort !== 'adaptive'
          ? { effort: effort === 'max' ? 'high' : effort === 'minimal' ? 'low' : effort }
          : { enabled: true };
    }
    if (this.id === 'openai' && body.max_tokens != null) {
      // OpenAI's reasoning models reject max_tokens; max_completion_tokens works for every current model.
      body.max_completion_tokens = body.max_tokens;
      delete body.max_tokens;
    }
    return body;
  }

  protected client(p: ProviderCallParams): OpenAI {
    const baseURL = this.baseUrl(p);
    if (!baseURL) {
      throw new ProviderError(ProviderErrorCode.BAD_REQUEST, this.id, `${this.id} needs a base URL`);
    }
    return new OpenAI({
      apiKey: p.apiKey,
      baseURL,
      // Retries are the caller's decision; a retried call would also double its time budget.
      maxRetries: 0,
      timeout: this.timeoutMs,
      defaultHeaders: this.options.headers,
      // Explicit values, so the SDK does not pick up OPENAI_* variables from the environment.
      organization: null,
      project: null,
      webhookSecret: null,
      // The SDK would log unparseable chunks verbatim.
      logLevel: 'off',
      fetch: p.fetch,
    });
  }
}
