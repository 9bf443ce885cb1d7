import type {
  AssistantMessage,
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
import type {
  AnthropicMessage,
  AnthropicMessageLike,
  AnthropicImageBlock,
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
import { invalid } from '../wire/wire-format.error';

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

export function anthropicUsageToNeutral(usage: AnthropicUsageLike | null | undefined): Usage {
  return compact({
    promptTokens: promptTokensOf(usage),
    completionTokens: usage?.output_tokens ?? 0,
    cacheReadTokens: usage?.cache_read_input_tokens ?? undefined,
    cacheWriteTokens: usage?.cache_creation_input_tokens ?? undefined,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Requests

/**
 * Block types another family cannot use, dropped on purpose when translating: reasoning (its signature only
 * means something to Anthropic), server-tool traffic run by Anthropic itself, and container uploads. Any other
 * unknown type is dropped too, so a block type Anthropic adds later does not break a client; text, images,
 * documents, search results, tool calls and tool results are translated.
 */
export const ANTHROPIC_DROPPED_BLOCKS: readonly string[] = [
  'thinking',
  'redacted_thinking',
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
  'mcp_tool_use',
  'mcp_tool_result',
  'container_upload',
];

/** What one list of content blocks carries in the neutral model: text pieces and media. */
interface ReadContent {
  text: string[];
  images: ImageContent[];
}

/** An image/document `source` → inline media, or a text reference for what the neutral model cannot carry. */
function mediaOf(block: Record<string, unknown>, field: string, into: ReadContent): void {
  const source = block.source;
  if (!isRecord(source)) throw invalid(`${field}.source must be an object`);
  const title = typeof block.title === 'string' && block.title ? `${block.title}\n` : '';
  switch (source.type) {
    case 'base64':
      into.images.push({
        mimeType: requireString(source.media_type, `${field}.source.media_type`),
        data: requireString(source.data, `${field}.source.data`),
      });
      return;
    case 'text':
      into.text.push(`${title}${requireString(source.data, `${field}.source.data`)}`);
      return;
    case 'content':
      // A document made of blocks: its text is what other families can read.
      if (typeof source.content === 'string') into.text.push(`${title}${source.content}`);
      else readContent(source.content, `${field}.source.content`, into);
      return;
    case 'url':
      // No other family fetches a URL for us; the model is at least told what was attached.
      into.text.push(`[${String(block.type)}: ${requireString(source.url, `${field}.source.url`)}]`);
      return;
    default:
      // `file` (Files API ids) has no meaning outside Anthropic.
      into.text.push(`[${String(block.type)} not available to this model]`);
  }
}

/** Text, media and search results of a content list (a tool result's, a document's); other blocks dropped. */
function readContent(value: unknown, field: string, into: ReadContent = { text: [], images: [] }): ReadContent {
  if (value === undefined || value === null) return into;
  if (typeof value === 'string') {
    if (value) into.text.push(value);
    return into;
  }
  requireArray(value, field).forEach((block, i) => {
    const at = `${field}[${i}]`;
    if (!isRecord(block)) throw invalid(`${at} must be an object`);
    switch (block.type) {
      case 'text':
        if (typeof block.text !== 'string') throw invalid(`${at}.text must be a string`);
        if (block.text) into.text.push(block.text);
        break;
      case 'image':
      case 'document':
        mediaOf(block, at, into);
        break;
      case 'search_result':
        into.text.push([block.title, block.source, ...readContent(block.content, `${at}.content`).text].filter((x) => typeof x === 'string' && x).join('\n'));
        break;
      default:
        break;
    }
  });
  return into;
}

/** `system` as a string or a list of text blocks (their `cache_control` has no meaning elsewhere). */
function systemText(value: unknown, field: string): string {
  return readContent(value, field).text.join('\n');
}

function userMessageFromAnthropic(content: unknown, at: string): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const out: ChatMessage[] = [];
  let pending: ReadContent = { text: [], images: [] };
  const flush = () => {
    if (pending.text.length || pending.images.length) {
      out.push(compact({ role: 'user' as const, content: pending.text.join('\n'), images: pending.images.length ? pending.images : undefined }));
    }
    pending = { text: [], images: [] };
  };
  requireArray(content, `${at}.content`).forEach((block, j) => {
    const field = `${at}.content[${j}]`;
    if (!isRecord(block)) throw invalid(`${field} must be an object`);
    if (block.type === 'tool_result') {
      flush();
      const result = readContent(block.content, `${field}.content`);
      out.push(
        compact({
          role: 'tool' as const,
          toolCallId: requireString(block.tool_use_id, `${field}.tool_use_id`),
          content: result.text.join('\n'),
          images: result.images.length ? result.images : undefined,
          isError: block.is_error === true ? true : undefined,
        }),
      );
    } else {
      readContent([block], `${at}.content`, pending);
    }
  });
  flush();
  return out;
}

function assistantMessageFromAnthropic(content: unknown, at: string): AssistantMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  const text: string[] = [];
  const toolCalls: ToolCall[] = [];
  requireArray(content, `${at}.content`).forEach((block, j) => {
    const field = `${at}.content[${j}]`;
    if (!isRecord(block)) throw invalid(`${field} must be an object`);
    if (block.type === 'text') {
      if (typeof block.text !== 'string') throw invalid(`${field}.text must be a string`);
      text.push(block.text);
    } else if (block.type === 'tool_use') {
      toolCalls.push({
        id: requireString(block.id, `${field}.id`),
        name: requireString(block.name, `${field}.name`),
        arguments: stringifyArguments(block.input),
      });
    }
    // Thinking, server-tool blocks and the rest: see ANTHROPIC_DROPPED_BLOCKS.
  });
  return compact({ role: 'assistant' as const, content: text.join('\n'), toolCalls: toolCalls.length ? toolCalls : undefined });
}

/** Client tools (no `type`, or `custom`) translate; Anthropic's server and built-in tools cannot run elsewhere. */
function toolFromAnthropic(raw: unknown, i: number): ToolDefinition | undefined {
  const at = `tools[${i}]`;
  if (!isRecord(raw)) throw invalid(`${at} must be an object`);
  if (raw.type !== undefined && raw.type !== null && raw.type !== 'custom') return undefined;
  if (!isRecord(raw.input_schema)) throw invalid(`${at}.input_schema must be an object`);
  return compact({
    name: requireString(raw.name, `${at}.name`),
    description: optionalString(raw.description, `${at}.description`),
    parameters: raw.input_schema,
  });
}

function toolChoiceFromAnthropic(raw: unknown): { choice?: ToolChoice; parallel?: boolean } {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw invalid('tool_choice must be an object');
  const parallel = raw.disable_parallel_tool_use === true ? false : undefined;
  switch (raw.type) {
    case 'auto':
      return { choice: 'auto', parallel };
    case 'any':
      return { choice: 'required', parallel };
    case 'none':
      return { choice: 'none' };
    case 'tool':
      return { choice: { name: requireString(raw.name, 'tool_choice.name') }, parallel };
    default:
      throw invalid('tool_choice.type must be auto, any, tool or none');
  }
}

const EFFORTS = new Set(['minimal', 'low', 'medium', 'high', 'max']);

/** `thinking` (enabled with a budget, adaptive, disabled) and `output_config.effort` → the neutral reasoning ask. */
function reasoningFromAnthropic(thinking: unknown, outputConfig: unknown): Reasoning | undefined {
  const effortRaw = isRecord(outputConfig) ? outputConfig.effort : undefined;
  const effort = typeof effortRaw === 'string' && EFFORTS.has(effortRaw) ? (effortRaw as Reasoning['effort']) : undefined;
  if (thinking === undefined || thinking === null) return undefined;
  if (!isRecord(thinking)) throw invalid('thinking must be an object');
  switch (thinking.type) {
    case 'enabled':
      return compact({ budgetTokens: optionalNumber(thinking.budget_tokens, 'thinking.budget_tokens'), effort });
    case 'adaptive':
      return { effort: effort ?? 'adaptive' };
    case 'disabled':
      return undefined;
    default:
      throw invalid('thinking.type must be enabled, adaptive or disabled');
  }
}

/**
 * An Anthropic Messages request body (as a client sends it) → the neutral request, for a provider of another
 * family. What has a meaning elsewhere is translated: system blocks, system-role messages anywhere in
 * `messages` (kept in place), text, images and documents, tool calls and results, every `tool_choice`,
 * thinking (as a reasoning ask), `metadata.user_id`. What has none is dropped on purpose: `cache_control`,
 * `context_management`, the rest of `output_config`, thinking blocks and their signatures, server tools and
 * their blocks (ANTHROPIC_DROPPED_BLOCKS), `service_tier`, `container`, `mcp_servers`.
 */
export function anthropicRequestToNeutral(body: AnthropicMessagesRequest): ChatRequest {
  if (!isRecord(body)) throw invalid('the request body must be an object');
  const messages: ChatMessage[] = [];
  const system = systemText(body.system, 'system');
  if (system) messages.push({ role: 'system', content: system });
  requireArray(body.messages, 'messages').forEach((raw, i) => {
    const at = `messages[${i}]`;
    if (!isRecord(raw)) throw invalid(`${at} must be an object`);
    if (raw.role === 'user') messages.push(...userMessageFromAnthropic(raw.content, at));
    else if (raw.role === 'assistant') messages.push(assistantMessageFromAnthropic(raw.content, at));
    else if (raw.role === 'system') {
      const text = systemText(raw.content, `${at}.content`);
      if (text) messages.push({ role: 'system', content: text });
    } else throw invalid(`${at}.role must be user, assistant or system`);
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
  const tools = body.tools == null ? undefined : requireArray(body.tools, 'tools').map(toolFromAnthropic).filter((t): t is ToolDefinition => !!t);
  const metadata: unknown = body.metadata;
  const { choice, parallel } = toolChoiceFromAnthropic(body.tool_choice);
  return compact({
    model: requireString(body.model, 'model'),
    messages,
    tools: tools?.length ? tools : undefined,
    // A forced tool among only server tools cannot be honoured elsewhere.
    toolChoice: tools?.length || choice === 'none' || choice === 'auto' ? choice : undefined,
    parameters,
    user: isRecord(metadata) ? optionalString(metadata.user_id, 'metadata.user_id') : undefined,
    reasoning: reasoningFromAnthropic(body.thinking, body.output_config),
    parallelToolCalls: tools?.length ? parallel : undefined,
  });
}

function blocksOf(message: Exclude<ChatMessage, { role: 'system' }>): AnthropicMessageParam {
  switch (message.role) {
    case 'user':
      return {
        role: 'user',
        content: [
          ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
          ...(message.images ?? []).map(mediaBlock),
        ],
      };
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
                  ...message.images.map(mediaBlock),
                ]
              : message.content,
            is_error: message.isError || undefined,
          }),
        ],
      };
  }
}

function mediaBlock(image: ImageContent): AnthropicImageBlock {
  return { type: image.mimeType.startsWith('image/') ? 'image' : 'document', source: { type: 'base64', media_type: image.mimeType, data: image.data } };
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

function toolChoiceToAnthropic(choice: ToolChoice | undefined, parallel?: boolean): AnthropicToolChoice | undefined {
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallel === false ? { type: 'auto', ...single } : undefined;
  if (choice === 'auto') return { type: 'auto', ...single };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...single };
  return { type: 'tool', name: choice.name, ...single };
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
    tool_choice: toolChoiceToAnthropic(request.toolChoice, request.tools?.length ? request.parallelToolCalls : undefined),
    thinking: request.reasoning?.budgetTokens ? { type: 'enabled', budget_tokens: request.reasoning.budgetTokens } : undefined,
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

/**
 * Usage of an Anthropic stream read as it passes (the gateway's pass-through forwards the events untouched):
 * `message_start` carries the prompt side, each `message_delta` the cumulative output and any late fields.
 */
export class AnthropicUsageTracker {
  private raw: AnthropicUsageLike = {};

  push(event: AnthropicStreamEventLike): void {
    const fresh = event.type === 'message_start' ? event.message?.usage : event.type === 'message_delta' ? event.usage : undefined;
    if (!fresh) return;
    for (const [k, v] of Object.entries(fresh) as [keyof AnthropicUsageLike, number | null | undefined][]) {
      if (typeof v === 'number') this.raw[k] = v;
    }
  }

  get usage(): Usage {
    return anthropicUsageToNeutral(this.raw);
  }
}

type BlockState = { kind: 'text' } | { kind: 'tool'; index: number; hasArguments: boolean } | { kind: 'ignored' };

/**
 * Anthropic stream events → neutral stream events. `finish` is emitted on `message_stop` (or an `error`
 * event); `end` emits it if the stream stopped early.
 */
export class AnthropicStreamDecoder extends StreamDecoder<AnthropicStreamEventLike> {
  private model = '';
  private stopReason: string | null | undefined;
  private stopSequence: string | null | undefined;
  /** message_start's usage, then each message_delta's (cumulative output, late cache and input counts). */
  private readonly usage = new AnthropicUsageTracker();
  private readonly blocks = new Map<number, BlockState>();
  private toolCount = 0;

  override push(event: AnthropicStreamEventLike): ChatStreamEvent[] {
    const events: ChatStreamEvent[] = [];
    if (this.finished) return events;
    if (!this.started && event.type !== 'ping') {
      this.started = true;
      const message = event.type === 'message_start' ? event.message : undefined;
      this.model = message?.model ?? '';
      this.usage.push(event);
      events.push(
        compact({
          type: 'start' as const,
          id: message?.id ?? undefined,
          model: this.model,
          promptTokens: message?.usage ? this.usage.usage.promptTokens : undefined,
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
        this.usage.push(event);
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
      usage: this.usage.usage,
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
