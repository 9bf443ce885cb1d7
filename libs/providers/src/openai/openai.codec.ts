import type {
  ChatMessage,
  ImageContent,
  Reasoning,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  ModelParameters,
  StopReason,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  Usage,
} from '../wire/chat.model';
import {
  compact,
  isRecord,
  optionalNumber,
  optionalString,
  randomId,
  requireArray,
  requireString,
} from '../wire/codec.util';
import type { SseFrame } from '../wire/sse';
import { StreamDecoder } from '../wire/stream-decoder';
import { invalid, unsupported } from '../wire/wire-format.error';
import type {
  OpenAIChatChunk,
  OpenAIChatChunkLike,
  OpenAIChatCompletion,
  OpenAIChatCompletionLike,
  OpenAIChatRequest,
  OpenAIFinishReason,
  OpenAIMessage,
  OpenAITool,
  OpenAIToolCall,
  OpenAIToolChoice,
  OpenAIUsageLike,
} from './openai.types';

// ---------------------------------------------------------------------------------------------------------
// Stop reasons and usage

/** `function_call` is the legacy name of `tool_calls`; OpenRouter reports a failed generation as `error`. */
export function openAIFinishToStopReason(finish: string | null | undefined, hasToolCalls = false): StopReason {
  switch (finish) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
    case 'error':
      return 'error';
    default:
      // Some compatible servers (Gemini's among them) report `stop` on a turn that calls tools.
      return hasToolCalls ? 'tool_calls' : 'end';
  }
}

export function stopReasonToOpenAIFinish(reason: StopReason): OpenAIFinishReason {
  switch (reason) {
    case 'end':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
      return 'tool_calls';
    case 'error':
      return 'content_filter';
  }
}

export function openAIUsageToNeutral(usage: OpenAIUsageLike | null | undefined): Usage {
  return compact({
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
    reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? undefined,
    cacheReadTokens: usage?.prompt_tokens_details?.cached_tokens ?? undefined,
    cacheWriteTokens: usage?.prompt_tokens_details?.cache_write_tokens ?? undefined,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Requests

function textOf(content: unknown, field: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return requireArray(content, field)
    .map((part, i) => {
      if (!isRecord(part)) throw invalid(`${field}[${i}] must be an object`);
      if (part.type !== 'text') throw unsupported(`${field}[${i}]: content of type ${String(part.type)} is not supported`);
      return requireStringAllowEmpty(part.text, `${field}[${i}].text`);
    })
    .join('');
}

/** A user turn's text and its `data:` images and files (a URL image becomes a reference: no family fetches it for us). */
function userFromOpenAI(content: unknown, field: string): ChatMessage {
  if (content === undefined || content === null || typeof content === 'string') return { role: 'user', content: content ?? '' };
  const text: string[] = [];
  const images: ImageContent[] = [];
  requireArray(content, field).forEach((part, i) => {
    const at = `${field}[${i}]`;
    if (!isRecord(part)) throw invalid(`${at} must be an object`);
    const url = part.type === 'image_url' && isRecord(part.image_url) ? part.image_url.url : part.type === 'file' && isRecord(part.file) ? part.file.file_data : undefined;
    if (part.type === 'text') text.push(requireStringAllowEmpty(part.text, `${at}.text`));
    else if (typeof url === 'string') {
      const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      if (data) images.push({ mimeType: data[1]!, data: data[2]! });
      else text.push(`[image: ${url}]`);
    } else throw unsupported(`${at}: content of type ${String(part.type)} is not supported`);
  });
  return compact({ role: 'user' as const, content: text.join(''), images: images.length ? images : undefined });
}

function requireStringAllowEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  return value;
}

function toolCallsFromOpenAI(value: unknown, field: string): ToolCall[] {
  return requireArray(value, field).map((raw, i) => {
    const at = `${field}[${i}]`;
    if (!isRecord(raw) || !isRecord(raw.function)) throw invalid(`${at} must be a function tool call`);
    if (raw.type !== undefined && raw.type !== 'function') throw unsupported(`${at}: tool calls of type ${String(raw.type)} are not supported`);
    return {
      id: requireString(raw.id, `${at}.id`),
      name: requireString(raw.function.name, `${at}.function.name`),
      arguments: optionalString(raw.function.arguments, `${at}.function.arguments`) ?? '{}',
    };
  });
}

function messageFromOpenAI(raw: unknown, i: number): ChatMessage {
  const at = `messages[${i}]`;
  if (!isRecord(raw)) throw invalid(`${at} must be an object`);
  switch (raw.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: textOf(raw.content, `${at}.content`) };
    case 'user':
      return userFromOpenAI(raw.content, `${at}.content`);
    case 'assistant': {
      const toolCalls = raw.tool_calls == null ? [] : toolCallsFromOpenAI(raw.tool_calls, `${at}.tool_calls`);
      if (raw.function_call != null) throw unsupported(`${at}.function_call: legacy function calls are not supported`);
      return compact({
        role: 'assistant' as const,
        content: textOf(raw.content, `${at}.content`),
        toolCalls: toolCalls.length ? toolCalls : undefined,
      });
    }
    case 'tool':
      return {
        role: 'tool',
        toolCallId: requireString(raw.tool_call_id, `${at}.tool_call_id`),
        content: textOf(raw.content, `${at}.content`),
      };
    case 'function':
      throw unsupported(`${at}: the legacy function role is not supported`);
    default:
      throw invalid(`${at}.role must be system, developer, user, assistant or tool`);
  }
}

function toolFromOpenAI(raw: unknown, i: number): ToolDefinition {
  const at = `tools[${i}]`;
  if (!isRecord(raw) || raw.type !== 'function' || !isRecord(raw.function)) {
    throw unsupported(`${at}: only function tools are supported`);
  }
  const parameters = raw.function.parameters;
  if (parameters !== undefined && !isRecord(parameters)) throw invalid(`${at}.function.parameters must be an object`);
  return compact({
    name: requireString(raw.function.name, `${at}.function.name`),
    description: optionalString(raw.function.description, `${at}.function.description`),
    parameters: parameters ?? { type: 'object', properties: {} },
  });
}

function toolChoiceFromOpenAI(raw: unknown): ToolChoice | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === 'auto' || raw === 'none' || raw === 'required') return raw;
  if (isRecord(raw) && raw.type === 'function' && isRecord(raw.function)) {
    return { name: requireString(raw.function.name, 'tool_choice.function.name') };
  }
  throw invalid('tool_choice must be auto, none, required or a function');
}

function stopFromOpenAI(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return [raw];
  return requireArray(raw, 'stop').map((s, i) => requireStringAllowEmpty(s, `stop[${i}]`));
}

/** An OpenAI Chat Completions request body (as a client sends it) → the neutral request. */
export function openAIRequestToNeutral(body: OpenAIChatRequest): ChatRequest {
  if (!isRecord(body)) throw invalid('the request body must be an object');
  const messages = requireArray(body.messages, 'messages').map(messageFromOpenAI);
  const tools = body.tools == null ? undefined : requireArray(body.tools, 'tools').map(toolFromOpenAI);
  const parameters: ModelParameters = compact({
    temperature: optionalNumber(body.temperature, 'temperature'),
    max_tokens: optionalNumber(body.max_completion_tokens, 'max_completion_tokens') ?? optionalNumber(body.max_tokens, 'max_tokens'),
    top_p: optionalNumber(body.top_p, 'top_p'),
    top_k: optionalNumber(body.top_k, 'top_k'),
    frequency_penalty: optionalNumber(body.frequency_penalty, 'frequency_penalty'),
    presence_penalty: optionalNumber(body.presence_penalty, 'presence_penalty'),
    repetition_penalty: optionalNumber(body.repetition_penalty, 'repetition_penalty'),
    seed: optionalNumber(body.seed, 'seed'),
    stop: stopFromOpenAI(body.stop),
  });
  return compact({
    model: requireString(body.model, 'model'),
    messages,
    tools: tools?.length ? tools : undefined,
    toolChoice: toolChoiceFromOpenAI(body.tool_choice),
    parameters,
    user: optionalString(body.user, 'user'),
    reasoning: reasoningFromOpenAI(body.reasoning_effort),
    parallelToolCalls: body.parallel_tool_calls === false ? false : undefined,
  });
}

function reasoningFromOpenAI(effort: unknown): Reasoning | undefined {
  if (effort === undefined || effort === null || effort === 'none') return undefined;
  if (typeof effort !== 'string' || !['minimal', 'low', 'medium', 'high'].includes(effort)) throw invalid('reasoning_effort must be minimal, low, medium or high');
  return { effort: effort as Reasoning['effort'] };
}

function toolCallToOpenAI(call: ToolCall): OpenAIToolCall {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

function messageToOpenAI(message: ChatMessage): OpenAIMessage {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      if (message.images?.length) {
        return { role: 'user', content: [...(message.content ? [{ type: 'text' as const, text: message.content }] : []), ...message.images.map(mediaPart)] };
      }
      return { role: 'user', content: message.content };
    case 'assistant':
      if (message.toolCalls?.length) {
        // OpenAI accepts null content only beside tool calls.
        return { role: 'assistant', content: message.content || null, tool_calls: message.toolCalls.map(toolCallToOpenAI) };
      }
      return { role: 'assistant', content: message.content };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

/** Inline media as a Chat Completions part: images as `image_url`, documents (PDF) as `file`. */
function mediaPart(image: ImageContent): { type: 'image_url'; image_url: { url: string } } | { type: 'file'; file: { filename: string; file_data: string } } {
  const url = `data:${image.mimeType};base64,${image.data}`;
  if (image.mimeType.startsWith('image/')) return { type: 'image_url', image_url: { url } };
  return { type: 'file', file: { filename: image.mimeType === 'application/pdf' ? 'document.pdf' : 'document', file_data: url } };
}

/**
 * Chat Completions tool messages hold text only, and must follow their assistant turn without a gap: the images
 * of a run of tool results go into one user turn right after the run, each labelled with its call.
 */
function messagesToOpenAI(messages: ChatMessage[]): OpenAIMessage[] {
  const out: OpenAIMessage[] = [];
  let parts: ({ type: 'text'; text: string } | ReturnType<typeof mediaPart>)[] = [];
  const flush = () => {
    if (parts.length) out.push({ role: 'user', content: parts });
    parts = [];
  };
  for (const message of messages) {
    if (message.role !== 'tool') flush();
    out.push(messageToOpenAI(message));
    if (message.role === 'tool' && message.images?.length) {
      const label = message.images.length > 1 ? 'Images' : 'Image';
      parts.push({ type: 'text', text: `${label} returned by tool ${message.name ?? message.toolCallId} (call ${message.toolCallId}):` });
      for (const image of message.images) parts.push(mediaPart(image));
    }
  }
  flush();
  return out;
}

function toolToOpenAI(tool: ToolDefinition): OpenAITool {
  return { type: 'function', function: compact({ name: tool.name, description: tool.description, parameters: tool.parameters }) };
}

function toolChoiceToOpenAI(choice: ToolChoice | undefined): OpenAIToolChoice | undefined {
  if (choice === undefined || typeof choice === 'string') return choice;
  return { type: 'function', function: { name: choice.name } };
}

/**
 * The neutral request → an OpenAI Chat Completions body. Every neutral parameter is carried, including
 * `top_k` and `repetition_penalty` that only compatible servers read; adapters drop what their server rejects.
 */
export function neutralToOpenAIRequest(request: ChatRequest, options: { stream?: boolean } = {}): OpenAIChatRequest {
  const p = request.parameters;
  return compact({
    model: request.model,
    messages: messagesToOpenAI(request.messages),
    tools: request.tools?.length ? request.tools.map(toolToOpenAI) : undefined,
    tool_choice: toolChoiceToOpenAI(request.toolChoice),
    temperature: p.temperature,
    top_p: p.top_p,
    max_tokens: p.max_tokens,
    stop: p.stop?.length ? p.stop : undefined,
    seed: p.seed,
    frequency_penalty: p.frequency_penalty,
    presence_penalty: p.presence_penalty,
    top_k: p.top_k,
    repetition_penalty: p.repetition_penalty,
    user: request.user,
    parallel_tool_calls: request.tools?.length && request.parallelToolCalls === false ? false : undefined,
    stream: options.stream ? true : undefined,
    // Without it the stream carries no token counts, and usage accounting needs them.
    stream_options: options.stream ? { include_usage: true } : undefined,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Responses

/** An OpenAI chat completion (the SDK's or any compatible server's) → the neutral result. */
export function openAIResponseToNeutral(response: OpenAIChatCompletionLike): ChatResult {
  const choice = response.choices?.[0];
  const message = choice?.message;
  const toolCalls: ToolCall[] = (message?.tool_calls ?? [])
    .filter((call) => call.type == null || call.type === 'function')
    .map((call, i) => ({
      id: call.id || `call_${i}`,
      name: call.function?.name ?? '',
      arguments: call.function?.arguments || '{}',
    }));
  return compact({
    id: response.id ?? undefined,
    text: message?.content ?? message?.refusal ?? '',
    toolCalls,
    stopReason: openAIFinishToStopReason(choice?.finish_reason, toolCalls.length > 0),
    usage: openAIUsageToNeutral(response.usage),
    model: response.model ?? '',
  });
}

/** The neutral result → an OpenAI chat completion, as the LLM proxy returns it. */
export function neutralToOpenAIResponse(
  result: ChatResult,
  options: { id?: string; created?: number; model?: string } = {},
): OpenAIChatCompletion {
  const toolCalls = result.toolCalls.map(toolCallToOpenAI);
  return {
    id: options.id ?? (result.id?.startsWith('chatcmpl') ? result.id : randomId('chatcmpl-')),
    object: 'chat.completion',
    created: options.created ?? Math.floor(Date.now() / 1000),
    model: options.model ?? result.model,
    choices: [
      {
        index: 0,
        message: compact({
          role: 'assistant' as const,
          content: result.text === '' && toolCalls.length ? null : result.text,
          refusal: null,
          tool_calls: toolCalls.length ? toolCalls : undefined,
        }),
        finish_reason: stopReasonToOpenAIFinish(result.stopReason),
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: result.usage.promptTokens,
      completion_tokens: result.usage.completionTokens,
      total_tokens: result.usage.promptTokens + result.usage.completionTokens,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Streams

/**
 * OpenAI chunks → neutral stream events. Feed every chunk to `push`, then call `end` once the stream is done:
 * the `finish` event comes from `end`, because the token counts arrive in a last chunk after `finish_reason`.
 */
export class OpenAIStreamDecoder extends StreamDecoder<OpenAIChatChunkLike> {
  private id: string | undefined;
  private model = '';
  private finishReason: string | null | undefined;
  private usage: Usage = { promptTokens: 0, completionTokens: 0 };
  /** upstream tool-call index (or id) → neutral index */
  private readonly tools = new Map<string, number>();
  private lastTool: number | undefined;

  override push(chunk: OpenAIChatChunkLike): ChatStreamEvent[] {
    const events: ChatStreamEvent[] = [];
    if (chunk.model) this.model = chunk.model;
    if (!this.started) {
      this.started = true;
      this.id = chunk.id ?? undefined;
      events.push(compact({ type: 'start' as const, id: this.id, model: this.model }));
    }
    if (chunk.usage) this.usage = openAIUsageToNeutral(chunk.usage);
    if (chunk.error !== undefined && chunk.error !== null) this.finishReason = 'error';
    const choice = chunk.choices?.[0];
    if (!choice) return events;
    const delta = choice.delta;
    if (delta?.content) events.push({ type: 'text_delta', text: delta.content });
    for (const call of delta?.tool_calls ?? []) {
      const index = this.toolIndex(call.index ?? undefined, call.id ?? undefined, events, call.function?.name ?? undefined);
      const args = call.function?.arguments;
      if (args) events.push({ type: 'tool_call_delta', index, arguments: args });
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return events;
  }

  protected override finish() {
    return {
      stopReason: openAIFinishToStopReason(this.finishReason, this.tools.size > 0),
      usage: this.usage,
      model: this.model,
    };
  }

  private toolIndex(
    upstreamIndex: number | undefined,
    id: string | undefined,
    events: ChatStreamEvent[],
    name: string | undefined,
  ): number {
    // Servers that omit `index` start a call with an id and continue it without one.
    const key = upstreamIndex !== undefined ? `i:${upstreamIndex}` : id ? `id:${id}` : undefined;
    const known = key === undefined ? this.lastTool : this.tools.get(key);
    if (known !== undefined) {
      this.lastTool = known;
      return known;
    }
    const index = this.tools.size;
    this.tools.set(key ?? `n:${index}`, index);
    this.lastTool = index;
    events.push({ type: 'tool_call_start', index, id: id || `call_${index}`, name: name ?? '' });
    return index;
  }
}

export interface OpenAIStreamEncoderOptions {
  /** Chunk id; default a random `chatcmpl-…`. */
  id?: string;
  created?: number;
  /** The model name to report; default the one the events carry. */
  model?: string;
  /** Send a last chunk with `usage` and no choices (OpenAI's `stream_options.include_usage`). Default true. */
  includeUsage?: boolean;
}

/** Neutral stream events → OpenAI chunks (serialize each as an SSE `data:` line, then `data: [DONE]`). */
export class OpenAIStreamEncoder {
  private readonly id: string;
  private readonly created: number;
  private model: string;
  private roleSent = false;

  constructor(private readonly options: OpenAIStreamEncoderOptions = {}) {
    this.id = options.id ?? randomId('chatcmpl-');
    this.created = options.created ?? Math.floor(Date.now() / 1000);
    this.model = options.model ?? '';
  }

  push(event: ChatStreamEvent): OpenAIChatChunk[] {
    const chunks: OpenAIChatChunk[] = [];
    if (!this.roleSent) {
      this.roleSent = true;
      if (event.type === 'start' && !this.options.model) this.model = event.model;
      chunks.push(this.chunk({ role: 'assistant', content: '' }));
    }
    switch (event.type) {
      case 'start':
        break;
      case 'text_delta':
        chunks.push(this.chunk({ content: event.text }));
        break;
      case 'tool_call_start':
        chunks.push(
          this.chunk({
            tool_calls: [{ index: event.index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }],
          }),
        );
        break;
      case 'tool_call_delta':
        chunks.push(this.chunk({ tool_calls: [{ index: event.index, function: { arguments: event.arguments } }] }));
        break;
      case 'finish': {
        if (!this.options.model && event.model) this.model = event.model;
        chunks.push(this.chunk({}, stopReasonToOpenAIFinish(event.stopReason)));
        if (this.options.includeUsage ?? true) {
          chunks.push({
            ...this.base(),
            choices: [],
            usage: {
              prompt_tokens: event.usage.promptTokens,
              completion_tokens: event.usage.completionTokens,
              total_tokens: event.usage.promptTokens + event.usage.completionTokens,
            },
          });
        }
        break;
      }
    }
    return chunks;
  }

  private base(): Omit<OpenAIChatChunk, 'choices'> {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }

  private chunk(
    delta: OpenAIChatChunk['choices'][number]['delta'],
    finishReason: OpenAIFinishReason | null = null,
  ): OpenAIChatChunk {
    return { ...this.base(), choices: [{ index: 0, delta, finish_reason: finishReason }] };
  }
}

/** One OpenAI chunk as an SSE frame (data only, no event line). */
export function openAISseFrame(chunk: OpenAIChatChunk): SseFrame {
  return { data: chunk };
}

/** The frame that ends an OpenAI stream. */
export const OPENAI_SSE_DONE: SseFrame = { raw: '[DONE]' };

/** An OpenAI-format error frame, for a failure after the stream has started. */
export function openAISseErrorFrame(message: string): SseFrame {
  return { data: { error: { message, type: 'server_error' } } };
}
