import {
  ApiError,
  Content,
  FunctionCallingConfigMode,
  GenerateContentConfig,
  GenerateContentParameters,
  GenerateContentResponse,
  GoogleGenAI,
  Part,
  ToolConfig,
} from '@google/genai';
import { closingEvents, compact, parseArguments, randomId } from './gateway/format.util';
import type {
  ChatMessage,
  ChatParams,
  ChatProvider,
  ChatResult,
  ChatStreamEvent,
  KeyCheckResult,
  ModelInfo,
  ProviderCallParams,
  StopReason,
  ToolCall,
  ToolChoice,
  Usage,
} from './provider';
import {
  abortedError,
  ErrorContext,
  httpFailureToProviderError,
  isAbortLike,
  preMapError,
  ProviderError,
  ProviderErrorCode,
  unreachableError,
} from './provider.errors';
import { AdapterOptions, DEFAULT_PROVIDER_TIMEOUT_MS } from './provider.settings';
import { callWithDeadline, RequestDeadline } from './request-deadline';

/** Gemini (Gemini API, not Vertex) through `@google/genai`. */
export class GoogleProvider implements ChatProvider {
  readonly id = 'google' as const;
  private readonly timeoutMs: number;

  constructor(private readonly options: AdapterOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  }

  async checkKey(p: ProviderCallParams): Promise<KeyCheckResult> {
    try {
      await this.call(p, 'models', undefined, (ai, signal) => ai.models.list({ config: { pageSize: 1, abortSignal: signal } }));
      return { valid: true };
    } catch (error) {
      if (error instanceof ProviderError && error.code === ProviderErrorCode.INVALID_KEY) return { valid: false };
      throw error;
    }
  }

  listModels(p: ProviderCallParams): Promise<ModelInfo[]> {
    return this.call(p, 'models', undefined, async (ai, signal) => {
      const models: ModelInfo[] = [];
      const pager = await ai.models.list({ config: { pageSize: 1000, abortSignal: signal } });
      for await (const model of pager) {
        if (!model.name) continue;
        // Embedding, image and other models cannot chat.
        if (model.supportedActions && !model.supportedActions.includes('generateContent')) continue;
        const id = model.name.replace(/^models\//, '');
        const info: ModelInfo = { id: `google/${id}`, provider: 'google', model: id };
        if (model.displayName) info.name = model.displayName;
        if (typeof model.inputTokenLimit === 'number') info.contextLength = model.inputTokenLimit;
        models.push(info);
      }
      return models;
    });
  }

  chat(p: ChatParams): Promise<ChatResult> {
    return this.call(p, 'chat', p.model, async (ai, signal) => {
      const response = await ai.models.generateContent(toGoogleRequest(p, signal));
      const decoder = new GoogleResponseDecoder(p.model);
      decoder.push(response);
      return decoder.result();
    });
  }

  async *streamChat(p: ChatParams): AsyncGenerator<ChatStreamEvent> {
    const deadline = new RequestDeadline(this.timeoutMs, p.signal);
    let completed = false;
    try {
      const ai = this.client(p);
      const stream = await ai.models.generateContentStream(toGoogleRequest(p, deadline.signal));
      const decoder = new GoogleResponseDecoder(p.model);
      deadline.refresh();
      for await (const response of stream) {
        deadline.pause();
        yield* decoder.push(response);
        deadline.refresh();
      }
      if (deadline.signal.aborted) throw new Error('stream aborted');
      yield* decoder.end();
      completed = true;
    } catch (error) {
      throw mapGoogleError(error, { ...this.context(p, 'chat', p.model), timedOut: deadline.timedOut });
    } finally {
      if (!completed) deadline.cancel();
      deadline.dispose();
    }
  }

  private client(p: ProviderCallParams): GoogleGenAI {
    const baseUrl = p.baseUrl ?? this.options.baseUrl;
    return new GoogleGenAI({
      apiKey: p.apiKey,
      // Explicit, so GOOGLE_GENAI_USE_VERTEXAI / GOOGLE_CLOUD_* in the environment cannot switch the backend.
      vertexai: false,
      httpOptions: compact({
        baseUrl,
        headers: this.options.headers,
        // No retryOptions: the SDK then makes exactly one attempt. The deadline is ours (RequestDeadline).
      }),
    });
  }

  private context(p: ProviderCallParams, operation: ErrorContext['operation'], model?: string): ErrorContext {
    return { provider: this.id, apiKey: p.apiKey, operation, model, signal: p.signal };
  }

  private call<T>(
    p: ProviderCallParams,
    operation: ErrorContext['operation'],
    model: string | undefined,
    fn: (ai: GoogleGenAI, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return callWithDeadline(
      { timeoutMs: this.timeoutMs, signal: p.signal, client: () => this.client(p), context: this.context(p, operation, model), mapError: mapGoogleError },
      fn,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Neutral → Gemini

function toolName(message: Extract<ChatMessage, { role: 'tool' }>, history: ChatMessage[]): string {
  if (message.name) return message.name;
  for (const earlier of history) {
    if (earlier.role !== 'assistant') continue;
    const call = earlier.toolCalls?.find((c) => c.id === message.toolCallId);
    if (call) return call.name;
  }
  throw new ProviderError(
    ProviderErrorCode.BAD_REQUEST,
    'google',
    `google needs the tool name for tool result ${JSON.stringify(message.toolCallId)}`,
  );
}

function partsOf(message: Exclude<ChatMessage, { role: 'system' }>, history: ChatMessage[]): Content {
  switch (message.role) {
    case 'user':
      return { role: 'user', parts: message.content ? [{ text: message.content }] : [] };
    case 'assistant': {
      const parts: Part[] = message.content ? [{ text: message.content }] : [];
      for (const call of message.toolCalls ?? []) {
        parts.push(
          compact({
            functionCall: { id: call.id, name: call.name, args: parseArguments(call.arguments) },
            thoughtSignature: call.signature,
          }),
        );
      }
      return { role: 'model', parts };
    }
    case 'tool':
      return {
        role: 'user',
        parts: [
          {
            functionResponse: {
              id: message.toolCallId,
              name: toolName(message, history),
              response: message.isError ? { error: message.content } : { output: message.content },
            },
          },
        ],
      };
  }
}

/** Gemini wants one turn per role change; parallel tool results form one user turn. */
function contentsOf(messages: ChatMessage[]): Content[] {
  const contents: Content[] = [];
  for (const message of messages) {
    if (message.role === 'system') continue;
    const next = partsOf(message, messages);
    const last = contents[contents.length - 1];
    if (last && last.role === next.role) last.parts = [...(last.parts ?? []), ...(next.parts ?? [])];
    else contents.push(next);
  }
  return contents.filter((c) => c.parts?.length);
}

function toolConfigOf(choice: ToolChoice | undefined): ToolConfig | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } };
  if (choice === 'none') return { functionCallingConfig: { mode: FunctionCallingConfigMode.NONE } };
  if (choice === 'required') return { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } };
  return { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: [choice.name] } };
}

/** The neutral request → `generateContent` parameters. Gemini has no repetition penalty (dropped). */
export function toGoogleRequest(p: ChatParams, signal?: AbortSignal): GenerateContentParameters {
  const system = p.messages.filter((m) => m.role === 'system').map((m) => m.content).filter(Boolean);
  const params = p.parameters;
  const config: GenerateContentConfig = compact({
    abortSignal: signal,
    systemInstruction: system.length ? system.join('\n\n') : undefined,
    temperature: params.temperature,
    topP: params.top_p,
    topK: params.top_k,
    maxOutputTokens: params.max_tokens,
    stopSequences: params.stop?.length ? params.stop : undefined,
    seed: params.seed,
    presencePenalty: params.presence_penalty,
    frequencyPenalty: params.frequency_penalty,
    tools: p.tools?.length
      ? [
          {
            functionDeclarations: p.tools.map((t) =>
              compact({ name: t.name, description: t.description, parametersJsonSchema: t.parameters }),
            ),
          },
        ]
      : undefined,
    toolConfig: toolConfigOf(p.toolChoice),
    httpOptions: p.headers ? { headers: p.headers } : undefined,
    // Follow-up requests are the caller's decision, like retries.
    automaticContinuation: false,
    automaticFunctionCalling: { disable: true },
  });
  return { model: p.model, contents: contentsOf(p.messages), config };
}

// ---------------------------------------------------------------------------------------------------------
// Gemini → neutral

export function googleFinishToStopReason(finish: string | undefined, hasToolCalls: boolean): StopReason {
  if (finish === undefined || finish === 'STOP' || finish === 'FINISH_REASON_UNSPECIFIED') {
    return hasToolCalls ? 'tool_calls' : 'end';
  }
  if (finish === 'MAX_TOKENS') return 'length';
  return 'error';
}

/**
 * Gemini responses (one, or each chunk of a stream) → neutral events. Gemini streams text in pieces but each
 * function call whole, and sends usage with the chunks (the last one is complete).
 */
export class GoogleResponseDecoder {
  private started = false;
  private finished = false;
  private model: string;
  private id: string | undefined;
  private text = '';
  private readonly toolCalls: ToolCall[] = [];
  private finishReason: string | undefined;
  private usage: Usage = { promptTokens: 0, completionTokens: 0 };

  constructor(requestedModel: string) {
    this.model = requestedModel;
  }

  push(response: GenerateContentResponse): ChatStreamEvent[] {
    const events: ChatStreamEvent[] = [];
    if (response.modelVersion) this.model = response.modelVersion;
    if (!this.started) {
      this.started = true;
      this.id = response.responseId;
      events.push(compact({ type: 'start' as const, id: this.id, model: this.model }));
    }
    const meta = response.usageMetadata;
    if (meta) {
      this.usage = {
        promptTokens: meta.promptTokenCount ?? 0,
        // Thinking tokens are billed as output.
        completionTokens: (meta.candidatesTokenCount ?? 0) + (meta.thoughtsTokenCount ?? 0),
      };
    }
    const candidate = response.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.thought) continue;
      if (typeof part.text === 'string' && part.text) {
        this.text += part.text;
        events.push({ type: 'text_delta', text: part.text });
      }
      if (part.functionCall) {
        const index = this.toolCalls.length;
        const call: ToolCall = compact({
          // Gemini often omits call ids; other formats need one, unique across the conversation.
          id: part.functionCall.id || randomId('call_'),
          name: part.functionCall.name ?? '',
          arguments: JSON.stringify(part.functionCall.args ?? {}),
          signature: part.thoughtSignature,
        });
        this.toolCalls.push(call);
        events.push(compact({ type: 'tool_call_start' as const, index, id: call.id, name: call.name, signature: call.signature }));
        events.push({ type: 'tool_call_delta', index, arguments: call.arguments });
      }
    }
    if (candidate?.finishReason) this.finishReason = candidate.finishReason;
    // A prompt blocked by safety filters has no candidates, only promptFeedback.
    if (!candidate && response.promptFeedback?.blockReason) this.finishReason = 'SAFETY';
    return events;
  }

  end(): ChatStreamEvent[] {
    if (this.finished) return [];
    this.finished = true;
    const events = closingEvents(this.started, {
      stopReason: googleFinishToStopReason(this.finishReason, this.toolCalls.length > 0),
      usage: this.usage,
      model: this.model,
    });
    this.started = true;
    return events;
  }

  result(): ChatResult {
    return compact({
      id: this.id,
      text: this.text,
      toolCalls: this.toolCalls,
      stopReason: googleFinishToStopReason(this.finishReason, this.toolCalls.length > 0),
      usage: this.usage,
      model: this.model,
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Errors

interface GoogleErrorBody {
  message?: string;
  status?: string;
  details?: Array<{ '@type'?: string; reason?: string; retryDelay?: string }>;
}

/** `ApiError.message` is the JSON error body; pick out what the mapping needs. */
function parseGoogleErrorBody(message: string): GoogleErrorBody {
  try {
    const parsed = JSON.parse(message) as { error?: GoogleErrorBody };
    return typeof parsed.error === 'object' && parsed.error !== null ? parsed.error : {};
  } catch {
    return {};
  }
}

function retryDelaySeconds(body: GoogleErrorBody): number | undefined {
  const delay = body.details?.find((d) => typeof d.retryDelay === 'string')?.retryDelay;
  const seconds = delay ? Number(delay.replace(/s$/, '')) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

/** `@google/genai`'s ApiError (and fetch failures, which it does not wrap) → ProviderError. */
export function mapGoogleError(error: unknown, ctx: ErrorContext): ProviderError {
  const pre = preMapError(error, ctx);
  if (pre) return pre;
  if (error instanceof ApiError) {
    const body = parseGoogleErrorBody(error.message);
    // Gemini reports a bad key as 400 INVALID_ARGUMENT with reason API_KEY_INVALID.
    const invalidKey =
      body.details?.some((d) => d.reason === 'API_KEY_INVALID') === true || /api key not valid/i.test(body.message ?? '');
    return httpFailureToProviderError(
      { status: error.status, upstreamMessage: body.message, retryAfterSeconds: retryDelaySeconds(body), invalidKey },
      ctx,
    );
  }
  if (isAbortLike(error)) return abortedError(ctx);
  // Node's fetch reports a refused or reset connection as TypeError('fetch failed').
  if (error instanceof TypeError) return unreachableError(ctx);
  return new ProviderError(ProviderErrorCode.UPSTREAM_ERROR, ctx.provider, `request to ${ctx.provider} failed`);
}
