import type {
  AssistantMessage,
  ChatMessage,
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
import type {
  AnthropicMessage,
  AnthropicMessageLike,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicRequestBlock,
  AnthropicStopReason,
  AnthropicStreamEvent,
  AnthropicStreamEventLike,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolUseBlock,
  AnthropicUsageLike,
} from './anthropic.types';
import {
  compact,
  isRecord,
  optionalNumber,
  optionalString,
  parseArguments,
  randomId,
  requireArray,
  requireString,
  stringifyArguments,
} from '../wire/codec.util';
import type { SseFrame } from '../wire/sse';
import { StreamDecoder } from '../wire/stream-decoder';
import { invalid, unsupported } from '../wire/wire-format.error';

/** Anthropic requires `max_tokens`; used when neither the request nor the user's parameters set it. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

// ---------------------------------------------------------------------------------------------------------
// Stop reasons and usage

export function anthropicStopToStopReason(reason: string | null | undefined, hasToolCalls = false): StopReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
    case 'error':
      return 'error';
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'end';
    default:
      return hasToolCalls ? 'tool_calls' : 'end';
  }
}

export function stopReasonToAnthropic(reason: StopReason, stopSequence?: string | null): AnthropicStopReason {
  switch (reason) {
    case 'end':
      return stopSequence ? 'stop_sequence' : 'end_turn';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'error':
      return 'refusal';
  }
}

/** Cache writes and reads are prompt tokens too; accounting needs the sum. */
function promptTokensOf(usage: AnthropicUsageLike | null | undefined): number {
  return (usage?.input_tokens ?? 0) + (usage?.cache_creation_input_tokens ?? 0) + (usage?.cache_read_input_tokens ?? 0);
}

function anthropicUsageToNeutral(usage: AnthropicUsageLike | null | undefined): Usage {
  return { promptTokens: promptTokensOf(usage), completionTokens: usage?.output_tokens ?? 0 };
}

// ---------------------------------------------------------------------------------------------------------
// Requests

function textBlocksToString(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return requireArray(value, field)
    .map((block, i) => {
      if (!isRecord(block)) throw invalid(`${field}[${i}] must be an object`);
      if (block.type !== 'text') throw unsupported(`${field}[${i}]: content of type ${String(block.type)} is not supported`);
      if (typeof block.text !== 'string') throw invalid(`${field}[${i}].text must be a string`);
      return block.text;
    })
    .join('\n');
}

const IGNORED_BLOCKS = new Set(['thinking', 'redacted_thinking']);

/**
 * Walks one message's content blocks: text goes to `onText`, blocks of the one other type the role may carry
 * go to `onOther`, reasoning blocks are dropped and anything else is refused.
 */
function readBlocks(
  content: unknown,
  at: string,
  onText: (text: string) => void,
  other: { type: string; read: (block: Record<string, unknown>, field: string) => void },
): void {
  requireArray(content, `${at}.content`).forEach((block, j) => {
    const field = `${at}.content[${j}]`;
    if (!isRecord(block)) throw invalid(`${field} must be an object`);
    if (block.type === 'text') {
      if (typeof block.text !== 'string') throw invalid(`${field}.text must be a string`);
      onText(block.text);
    } else if (block.type === other.type) {
      other.read(block, field);
    } else if (!IGNORED_BLOCKS.has(String(block.type))) {
      throw unsupported(`${field}: content of type ${String(block.type)} is not supported`);
    }
  });
}

function userMessageFromAnthropic(content: unknown, at: string): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const out: ChatMessage[] = [];
  let text: string[] = [];
  const flush = () => {
    if (text.length) out.push({ role: 'user', content: text.join('\n') });
    text = [];
  };
  readBlocks(content, at, (t) => text.push(t), {
    type: 'tool_result',
    read: (block, field) => {
      flush();
      out.push(
        compact({
          role: 'tool' as const,
          toolCallId: requireString(block.tool_use_id, `${field}.tool_use_id`),
          content: textBlocksToString(block.content, `${field}.content`),
          isError: block.is_error === true ? true : undefined,
        }),
      );
    },
  });
  flush();
  return out;
}

function assistantMessageFromAnthropic(content: unknown, at: string): AssistantMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  const text: string[] = [];
  const toolCalls: ToolCall[] = [];
  readBlocks(content, at, (t) => text.push(t), {
    type: 'tool_use',
    read: (block, field) =>
      toolCalls.push({
        id: requireString(block.id, `${field}.id`),
        name: requireString(block.name, `${field}.name`),
        arguments: stringifyArguments(block.input),
      }),
  });
  return compact({ role: 'assistant' as const, content: text.join('\n'), toolCalls: toolCalls.length ? toolCalls : undefined });
}

function toolFromAnthropic(raw: unknown, i: number): ToolDefinition {
  const at = `tools[${i}]`;
  if (!isRecord(raw)) throw invalid(`${at} must be an object`);
  // Server tools (web search, code execution, …) carry a versioned `type` and no schema.
  if ((raw.type !== undefined && raw.type !== 'custom') || !isRecord(raw.input_schema)) {
    throw unsupported(`${at}: only client tools with an input_schema are supported`);
  }
  return compact({
    name: requireString(raw.name, `${at}.name`),
    description: optionalString(raw.description, `${at}.description`),
    parameters: raw.input_schema,
  });
}

function toolChoiceFromAnthropic(raw: unknown): ToolChoice | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) throw invalid('tool_choice must be an object');
  switch (raw.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { name: requireString(raw.name, 'tool_choice.name') };
    default:
      throw invalid('tool_choice.type must be auto, any, tool or none');
  }
}

/** An Anthropic Messages request body (as a client sends it) → the neutral request. */
export function anthropicRequestToNeutral(body: AnthropicMessagesRequest): ChatRequest {
  if (!isRecord(body)) throw invalid('the request body must be an object');
  const messages: ChatMessage[] = [];
  const system = textBlocksToString(body.system, 'system');
  if (system) messages.push({ role: 'system', content: system });
  requireArray(body.messages, 'messages').forEach((raw, i) => {
    const at = `messages[${i}]`;
    if (!isRecord(raw)) throw invalid(`${at} must be an object`);
    if (raw.role === 'user') messages.push(...userMessageFromAnthropic(raw.content, at));
    else if (raw.role === 'assistant') messages.push(assistantMessageFromAnthropic(raw.content, at));
    else throw invalid(`${at}.role must be user or assistant`);
  });
  const maxTokens = optionalNumber(body.max_tokens, 'max_tokens');
  if (maxTokens === undefined) throw invalid('max_tokens is required');
  const stop = body.stop_sequences == null ? undefined : requireArray(body.stop_sequences, 'stop_sequences');
  const parameters: ModelParameters = compact({
    temperature: optionalNumber(body.temperature, 'temperature'),
    max_tokens: maxTokens,
    top_p: optionalNumber(body.top_p, 'top_p'),
    top_k: optionalNumber(body.top_k, 'top_k'),
    stop: stop?.length ? stop.map((s, i) => optionalString(s, `stop_sequences[${i}]`) ?? '') : undefined,
  });
  const tools = body.tools == null ? undefined : requireArray(body.tools, 'tools').map(toolFromAnthropic);
  const metadata: unknown = body.metadata;
  return compact({
    model: requireString(body.model, 'model'),
    messages,
    tools: tools?.length ? tools : undefined,
    toolChoice: toolChoiceFromAnthropic(body.tool_choice),
    parameters,
    user: isRecord(metadata) ? optionalString(metadata.user_id, 'metadata.user_id') : undefined,
  });
}

function blocksOf(message: Exclude<ChatMessage, { role: 'system' }>): AnthropicMessageParam {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content ? [{ type: 'text', text: message.content }] : [] };
    case 'assistant': {
      const blocks: AnthropicRequestBlock[] = [];
      // Anthropic rejects empty text blocks.
      if (message.content) blocks.push({ type: 'text', text: message.content });
      for (const call of message.toolCalls ?? []) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: parseArguments(call.arguments) });
      }
      return { role: 'assistant', content: blocks };
    }
    case 'tool':
      return {
        role: 'user',
        content: [
          compact({
            type: 'tool_result' as const,
            tool_use_id: message.toolCallId,
            // Anthropic tool results hold images directly (a screenshot beside its caption).
            content: message.images?.length
              ? [
                  ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
                  ...message.images.map((image) => ({ type: 'image' as const, source: { type: 'base64' as const, media_type: image.mimeType, data: image.data } })),
                ]
              : message.content,
            is_error: message.isError || undefined,
          }),
        ],
      };
  }
}

/**
 * Neutral messages → Anthropic messages: system messages are hoisted into `system`, tool results become
 * `tool_result` blocks of a user turn, and consecutive turns of one role are merged (tool results followed by
 * the user's text form one user turn, as Anthropic expects).
 */
function messagesToAnthropic(messages: ChatMessage[]): { system?: string; messages: AnthropicMessageParam[] } {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content).filter(Boolean);
  const out: AnthropicMessageParam[] = [];
  for (const message of messages) {
    if (message.role === 'system') continue;
    const next = blocksOf(message);
    const last = out[out.length - 1];
    if (last && last.role === next.role) (last.content as AnthropicRequestBlock[]).push(...(next.content as AnthropicRequestBlock[]));
    else out.push(next);
  }
  const simplified = out
    .filter((m) => m.content.length > 0)
    .map((m): AnthropicMessageParam => {
      const blocks = m.content as AnthropicRequestBlock[];
      const only = blocks[0];
      return blocks.length === 1 && only?.type === 'text' ? { role: m.role, content: only.text } : m;
    });
  return compact({ system: system.length ? system.join('\n\n') : undefined, messages: simplified });
}

function toolToAnthropic(tool: ToolDefinition): AnthropicTool {
  return compact({ name: tool.name, description: tool.description, input_schema: { type: 'object', ...tool.parameters } });
}

function toolChoiceToAnthropic(choice: ToolChoice | undefined): AnthropicToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  return { type: 'tool', name: choice.name };
}

interface NeutralToAnthropicOptions {
  stream?: boolean;
  /** `max_tokens` when the request has none; default {@link DEFAULT_ANTHROPIC_MAX_TOKENS}. */
  defaultMaxTokens?: number;
}

/**
 * The neutral request → an Anthropic Messages body. Anthropic has no seed or penalties (dropped), takes
 * temperature in 0..1 (clamped) and requires `max_tokens`.
 */
export function neutralToAnthropicRequest(request: ChatRequest, options: NeutralToAnthropicOptions = {}): AnthropicMessagesRequest {
  const p = request.parameters;
  const { system, messages } = messagesToAnthropic(request.messages);
  return compact({
    model: request.model,
    system,
    messages,
    max_tokens: p.max_tokens ?? options.defaultMaxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
    temperature: p.temperature === undefined ? undefined : Math.min(p.temperature, 1),
    top_p: p.top_p,
    top_k: p.top_k,
    stop_sequences: p.stop?.length ? p.stop : undefined,
    tools: request.tools?.length ? request.tools.map(toolToAnthropic) : undefined,
    tool_choice: toolChoiceToAnthropic(request.toolChoice),
    metadata: request.user ? { user_id: request.user } : undefined,
    stream: options.stream ? true : undefined,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Responses

/** An Anthropic message (the SDK's or any compatible server's) → the neutral result. Reasoning blocks are dropped. */
export function anthropicResponseToNeutral(message: AnthropicMessageLike): ChatResult {
  const text: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of message.content ?? []) {
    if (block.type === 'text' && typeof block.text === 'string') text.push(block.text);
    if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
      toolCalls.push({ id: block.id, name: block.name, arguments: stringifyArguments(block.input) });
    }
  }
  return compact({
    id: message.id ?? undefined,
    text: text.join(''),
    toolCalls,
    stopReason: anthropicStopToStopReason(message.stop_reason, toolCalls.length > 0),
    stopSequence: message.stop_sequence ?? undefined,
    usage: anthropicUsageToNeutral(message.usage),
    model: message.model ?? '',
  });
}

/** The neutral result → an Anthropic message, as the LLM proxy returns it. */
export function neutralToAnthropicResponse(result: ChatResult, options: { id?: string; model?: string } = {}): AnthropicMessage {
  const content: Array<AnthropicTextBlock | AnthropicToolUseBlock> = [];
  if (result.text) content.push({ type: 'text', text: result.text });
  for (const call of result.toolCalls) {
    content.push({ type: 'tool_use', id: call.id, name: call.name, input: parseArguments(call.arguments) });
  }
  return {
    id: options.id ?? (result.id?.startsWith('msg_') ? result.id : randomId('msg_')),
    type: 'message',
    role: 'assistant',
    model: options.model ?? result.model,
    content,
    stop_reason: stopReasonToAnthropic(result.stopReason, result.stopSequence),
    stop_sequence: result.stopReason === 'end' ? (result.stopSequence ?? null) : null,
    usage: { input_tokens: result.usage.promptTokens, output_tokens: result.usage.completionTokens },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Streams

type BlockState = { kind: 'text' } | { kind: 'tool'; index: number; hasArguments: boolean } | { kind: 'ignored' };

/**
 * Anthropic stream events → neutral stream events. `finish` is emitted on `message_stop` (or an `error`
 * event); `end` emits it if the stream stopped early.
 */
export class AnthropicStreamDecoder extends StreamDecoder<AnthropicStreamEventLike> {
  private model = '';
  private stopReason: string | null | undefined;
  private stopSequence: string | null | undefined;
  private usage: Usage = { promptTokens: 0, completionTokens: 0 };
  private readonly blocks = new Map<number, BlockState>();
  private toolCount = 0;

  override push(event: AnthropicStreamEventLike): ChatStreamEvent[] {
    const events: ChatStreamEvent[] = [];
    if (this.finished) return events;
    if (!this.started && event.type !== 'ping') {
      this.started = true;
      const message = event.type === 'message_start' ? event.message : undefined;
      this.model = message?.model ?? '';
      if (message?.usage) this.usage = anthropicUsageToNeutral(message.usage);
      events.push(
        compact({
          type: 'start' as const,
          id: message?.id ?? undefined,
          model: this.model,
          promptTokens: message?.usage ? this.usage.promptTokens : undefined,
        }),
      );
    }
    switch (event.type) {
      case 'content_block_start': {
        const block = event.content_block;
        const index = event.index ?? this.blocks.size;
        if (block?.type === 'text') {
          this.blocks.set(index, { kind: 'text' });
          if (typeof block.text === 'string' && block.text) events.push({ type: 'text_delta', text: block.text });
        } else if (block?.type === 'tool_use') {
          const state = { kind: 'tool' as const, index: this.toolCount++, hasArguments: false };
          this.blocks.set(index, state);
          events.push({
            type: 'tool_call_start',
            index: state.index,
            id: typeof block.id === 'string' ? block.id : `toolu_${state.index}`,
            name: typeof block.name === 'string' ? block.name : '',
          });
          if (isRecord(block.input) && Object.keys(block.input).length) {
            state.hasArguments = true;
            events.push({ type: 'tool_call_delta', index: state.index, arguments: JSON.stringify(block.input) });
          }
        } else {
          this.blocks.set(index, { kind: 'ignored' });
        }
        break;
      }
      case 'content_block_delta': {
        const state = this.blocks.get(event.index ?? -1);
        const delta = event.delta;
        if (state?.kind === 'text' && delta?.type === 'text_delta' && typeof delta.text === 'string' && delta.text) {
          events.push({ type: 'text_delta', text: delta.text });
        } else if (state?.kind === 'tool' && delta?.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json) {
          state.hasArguments = true;
          events.push({ type: 'tool_call_delta', index: state.index, arguments: delta.partial_json });
        }
        break;
      }
      case 'content_block_stop': {
        const state = this.blocks.get(event.index ?? -1);
        // A tool called without arguments streams no JSON; other formats expect an object.
        if (state?.kind === 'tool' && !state.hasArguments) {
          state.hasArguments = true;
          events.push({ type: 'tool_call_delta', index: state.index, arguments: '{}' });
        }
        break;
      }
      case 'message_delta':
        if (event.delta?.stop_reason !== undefined) this.stopReason = event.delta.stop_reason;
        if (event.delta?.stop_sequence !== undefined) this.stopSequence = event.delta.stop_sequence;
        if (event.usage?.output_tokens != null) this.usage = { ...this.usage, completionTokens: event.usage.output_tokens };
        if (event.usage?.input_tokens != null) this.usage = { ...this.usage, promptTokens: promptTokensOf(event.usage) };
        break;
      case 'error':
        this.stopReason = 'error';
        events.push(...this.end());
        break;
      case 'message_stop':
        events.push(...this.end());
        break;
    }
    return events;
  }

  protected override finish() {
    return {
      stopReason: anthropicStopToStopReason(this.stopReason, this.toolCount > 0),
      stopSequence: this.stopSequence ?? undefined,
      usage: this.usage,
      model: this.model,
    };
  }
}

export interface AnthropicStreamEncoderOptions {
  /** Message id; default the one the `start` event carries when it looks like Anthropic's, else random `msg_…`. */
  id?: string;
  /** The model name to report; default the one the events carry. */
  model?: string;
}

/** Neutral stream events → Anthropic stream events (frame each with `anthropicSseFrame`). */
export class AnthropicStreamEncoder {
  private started = false;
  private open: { block: number; kind: 'text' | 'tool' } | undefined;
  private nextBlock = 0;
  /** neutral tool index → content block index */
  private readonly toolBlocks = new Map<number, number>();
  private model: string;

  constructor(private readonly options: AnthropicStreamEncoderOptions = {}) {
    this.model = options.model ?? '';
  }

  push(event: ChatStreamEvent): AnthropicStreamEvent[] {
    const out: AnthropicStreamEvent[] = [];
    if (!this.started) {
      this.started = true;
      const start = event.type === 'start' ? event : undefined;
      if (!this.options.model) this.model = start?.model ?? (event.type === 'finish' ? event.model : '');
      const id = this.options.id ?? (start?.id?.startsWith('msg_') ? start.id : randomId('msg_'));
      out.push({
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model: this.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: start?.promptTokens ?? 0, output_tokens: 0 },
        },
      });
    }
    switch (event.type) {
      case 'start':
        break;
      case 'text_delta':
        if (this.open?.kind !== 'text') {
          this.closeOpen(out);
          this.open = { block: this.nextBlock++, kind: 'text' };
          out.push({ type: 'content_block_start', index: this.open.block, content_block: { type: 'text', text: '' } });
        }
        out.push({ type: 'content_block_delta', index: this.open.block, delta: { type: 'text_delta', text: event.text } });
        break;
      case 'tool_call_start': {
        this.closeOpen(out);
        const block = this.nextBlock++;
        this.toolBlocks.set(event.index, block);
        this.open = { block, kind: 'tool' };
        out.push({
          type: 'content_block_start',
          index: block,
          content_block: { type: 'tool_use', id: event.id, name: event.name, input: {} },
        });
        break;
      }
      case 'tool_call_delta': {
        const block = this.toolBlocks.get(event.index);
        if (block === undefined) break;
        out.push({ type: 'content_block_delta', index: block, delta: { type: 'input_json_delta', partial_json: event.arguments } });
        break;
      }
      case 'finish':
        this.closeOpen(out);
        out.push({
          type: 'message_delta',
          delta: {
            stop_reason: stopReasonToAnthropic(event.stopReason, event.stopSequence),
            stop_sequence: event.stopReason === 'end' ? (event.stopSequence ?? null) : null,
          },
          usage: { input_tokens: event.usage.promptTokens, output_tokens: event.usage.completionTokens },
        });
        out.push({ type: 'message_stop' });
        break;
    }
    return out;
  }

  private closeOpen(out: AnthropicStreamEvent[]): void {
    if (!this.open) return;
    out.push({ type: 'content_block_stop', index: this.open.block });
    this.open = undefined;
  }
}

/** One Anthropic event as an SSE frame: the event line names its type. */
export function anthropicSseFrame(event: AnthropicStreamEvent): SseFrame {
  return { event: event.type, data: event };
}

/** An Anthropic-format error frame, for a failure after the stream has started. */
export function anthropicSseErrorFrame(type: string, message: string): SseFrame {
  return { event: 'error', data: { type: 'error', error: { type, message } } };
}
