/**
 * The OpenAI Responses API (`POST /v1/responses`) as the gateway speaks it to clients, through the neutral
 * model: any provider family can serve it. Stateless: the gateway stores no responses, so a client sends the
 * whole conversation (`store: false` clients such as Codex do); `previous_response_id` is refused.
 */
import type { ChatMessage, ChatRequest, ChatResult, ChatStreamEvent, ImageContent, ModelParameters, Reasoning, StopReason, ToolChoice, ToolDefinition, Usage } from '../wire/chat.model';
import { compact, isRecord, optionalNumber, optionalString, randomId, requireArray, requireString } from '../wire/codec.util';
import type { SseFrame } from '../wire/sse';
import { invalid, unsupported } from '../wire/wire-format.error';

/** A Responses request body as a client sends it (read loosely; validated while translating). */
export type ResponsesRequest = Record<string, unknown> & { model?: unknown; stream?: unknown };

/** Item types that carry nothing another model can use, dropped on purpose (reasoning is the provider's own). */
export const RESPONSES_DROPPED_ITEMS: readonly string[] = ['reasoning', 'web_search_call', 'file_search_call', 'image_generation_call', 'code_interpreter_call', 'mcp_list_tools', 'mcp_approval_request', 'mcp_approval_response', 'mcp_call'];

// ---------------------------------------------------------------------------------------------------------
// Requests

function dataUrl(url: string): ImageContent | undefined {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { mimeType: m[1]!, data: m[2]! } : undefined;
}

/** A content list (or string) → text and media. `input_text`, `output_text`, `input_image`, `input_file` are read. */
function readParts(content: unknown, field: string): { text: string; images: ImageContent[] } {
  if (typeof content === 'string') return { text: content, images: [] };
  const text: string[] = [];
  const images: ImageContent[] = [];
  requireArray(content, field).forEach((part, i) => {
    const at = `${field}[${i}]`;
    if (!isRecord(part)) throw invalid(`${at} must be an object`);
    switch (part.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        if (typeof part.text !== 'string') throw invalid(`${at}.text must be a string`);
        text.push(part.text);
        break;
      case 'refusal':
        text.push(optionalString(part.refusal, `${at}.refusal`) ?? '');
        break;
      case 'input_image': {
        const url = optionalString(part.image_url, `${at}.image_url`);
        const media = url ? dataUrl(url) : undefined;
        if (media) images.push(media);
        else text.push(url ? `[image: ${url}]` : '[image not available to this model]');
        break;
      }
      case 'input_file': {
        const data = optionalString(part.file_data, `${at}.file_data`);
        const media = data ? (dataUrl(data) ?? { mimeType: 'application/pdf', data }) : undefined;
        if (media) images.push(media);
        else text.push('[file not available to this model]');
        break;
      }
      default:
        throw unsupported(`${at}: content of type ${String(part.type)} is not supported`);
    }
  });
  return { text: text.join(''), images };
}

function inputToMessages(input: unknown): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const out: ChatMessage[] = [];
  requireArray(input, 'input').forEach((raw, i) => {
    const at = `input[${i}]`;
    if (!isRecord(raw)) throw invalid(`${at} must be an object`);
    const type = raw.type ?? 'message';
    if (type === 'message') {
      const { text, images } = readParts(raw.content, `${at}.content`);
      switch (raw.role) {
        case 'system':
        case 'developer':
          out.push({ role: 'system', content: text });
          break;
        case 'user':
          out.push(compact({ role: 'user' as const, content: text, images: images.length ? images : undefined }));
          break;
        case 'assistant':
          out.push({ role: 'assistant', content: text });
          break;
        default:
          throw invalid(`${at}.role must be user, assistant, system or developer`);
      }
    } else if (type === 'function_call') {
      const call = {
        id: requireString(raw.call_id, `${at}.call_id`),
        name: requireString(raw.name, `${at}.name`),
        arguments: optionalString(raw.arguments, `${at}.arguments`) || '{}',
      };
      // Calls after an assistant message (or after each other) belong to that turn.
      const last = out[out.length - 1];
      if (last?.role === 'assistant') last.toolCalls = [...(last.toolCalls ?? []), call];
      else out.push({ role: 'assistant', content: '', toolCalls: [call] });
    } else if (type === 'function_call_output') {
      const { text, images } = readParts(raw.output, `${at}.output`);
      out.push(compact({ role: 'tool' as const, toolCallId: requireString(raw.call_id, `${at}.call_id`), content: text, images: images.length ? images : undefined }));
    } else if (type === 'item_reference') {
      throw unsupported(`${at}: item references need stored responses, which the gateway does not keep; send the items themselves`);
    } else if (!RESPONSES_DROPPED_ITEMS.includes(String(type))) {
      throw unsupported(`${at}: items of type ${String(type)} are not supported`);
    }
  });
  return out;
}

function toolsFromResponses(raw: unknown): ToolDefinition[] {
  if (raw === undefined || raw === null) return [];
  return requireArray(raw, 'tools').flatMap((tool, i) => {
    const at = `tools[${i}]`;
    if (!isRecord(tool)) throw invalid(`${at} must be an object`);
    // Built-in tools (web search, file search, code interpreter, computer use, MCP) run at OpenAI only.
    if (tool.type !== 'function') return [];
    const parameters = tool.parameters;
    if (parameters !== undefined && parameters !== null && !isRecord(parameters)) throw invalid(`${at}.parameters must be an object`);
    return [compact({ name: requireString(tool.name, `${at}.name`), description: optionalString(tool.description, `${at}.description`) ?? undefined, parameters: (parameters as Record<string, unknown> | null) ?? { type: 'object', properties: {} } })];
  });
}

function toolChoiceFromResponses(raw: unknown): ToolChoice | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === 'auto' || raw === 'none' || raw === 'required') return raw;
  if (isRecord(raw) && raw.type === 'function') return { name: requireString(raw.name, 'tool_choice.name') };
  // allowed_tools, built-in tool choices: the model chooses among what it has.
  return 'auto';
}

function reasoningFromResponses(raw: unknown): Reasoning | undefined {
  if (!isRecord(raw) || raw.effort === undefined || raw.effort === null || raw.effort === 'none') return undefined;
  if (typeof raw.effort !== 'string' || !['minimal', 'low', 'medium', 'high'].includes(raw.effort)) throw invalid('reasoning.effort must be minimal, low, medium or high');
  return { effort: raw.effort as Reasoning['effort'] };
}

/**
 * A Responses request → the neutral request. Translated: instructions, input (string or items: messages,
 * function calls and their outputs, images and files as data URLs), function tools, tool_choice,
 * max_output_tokens, temperature, top_p, reasoning.effort, parallel_tool_calls, user/safety_identifier.
 * Dropped on purpose: built-in tools, reasoning items, `text.format`, `include`, `store`, `metadata`,
 * `truncation`, `prompt_cache_key`, `service_tier`. Refused: `previous_response_id`, `conversation`, item references.
 */
export function responsesRequestToNeutral(body: ResponsesRequest): ChatRequest {
  if (!isRecord(body)) throw invalid('the request body must be an object');
  if (body.previous_response_id != null || body.conversation != null) {
    throw unsupported('previous_response_id and conversation need stored responses, which the gateway does not keep; send the whole input (store: false)');
  }
  const messages: ChatMessage[] = [];
  const instructions = optionalString(body.instructions, 'instructions');
  if (instructions) messages.push({ role: 'system', content: instructions });
  messages.push(...inputToMessages(body.input));
  const tools = toolsFromResponses(body.tools);
  const parameters: ModelParameters = compact({
    temperature: optionalNumber(body.temperature, 'temperature'),
    top_p: optionalNumber(body.top_p, 'top_p'),
    max_tokens: optionalNumber(body.max_output_tokens, 'max_output_tokens'),
  });
  return compact({
    model: requireString(body.model, 'model'),
    messages,
    tools: tools.length ? tools : undefined,
    toolChoice: tools.length ? toolChoiceFromResponses(body.tool_choice) : undefined,
    parameters,
    user: optionalString(body.safety_identifier, 'safety_identifier') ?? optionalString(body.user, 'user'),
    reasoning: reasoningFromResponses(body.reasoning),
    parallelToolCalls: tools.length && body.parallel_tool_calls === false ? false : undefined,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Responses

type OutputText = { type: 'output_text'; text: string; annotations: unknown[]; logprobs: unknown[] };
type MessageItem = { type: 'message'; id: string; status: 'in_progress' | 'completed'; role: 'assistant'; content: OutputText[] };
type FunctionCallItem = { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: 'in_progress' | 'completed' };
type OutputItem = MessageItem | FunctionCallItem;

export interface ResponsesResponse {
  id: string;
  object: 'response';
  created_at: number;
  status: 'in_progress' | 'completed' | 'incomplete';
  model: string;
  output: OutputItem[];
  incomplete_details: { reason: string } | null;
  error: null;
  usage: ResponsesUsage | null;
  parallel_tool_calls: boolean;
  tool_choice: unknown;
  tools: unknown[];
  [key: string]: unknown;
}

interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

function usageOf(u: Usage): ResponsesUsage {
  return {
    input_tokens: u.promptTokens,
    input_tokens_details: { cached_tokens: u.cacheReadTokens ?? 0 },
    output_tokens: u.completionTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.promptTokens + u.completionTokens,
  };
}

function incompleteOf(reason: StopReason): { reason: string } | null {
  if (reason === 'length') return { reason: 'max_output_tokens' };
  if (reason === 'error') return { reason: 'content_filter' };
  return null;
}

/** What a response echoes of its request (the SDK and clients read these back). */
export interface ResponsesEcho {
  id?: string;
  model: string;
  /** The request body, for `tools`, `tool_choice`, `instructions`, `temperature`, … */
  request?: ResponsesRequest;
}

function envelope(echo: ResponsesEcho & { id: string; createdAt: number }): Omit<ResponsesResponse, 'status' | 'output' | 'usage' | 'incomplete_details'> {
  const r = echo.request ?? {};
  return {
    id: echo.id,
    object: 'response',
    created_at: echo.createdAt,
    model: echo.model,
    error: null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    metadata: isRecord(r.metadata) ? r.metadata : {},
    parallel_tool_calls: r.parallel_tool_calls !== false,
    previous_response_id: null,
    reasoning: isRecord(r.reasoning) ? r.reasoning : { effort: null, summary: null },
    store: false,
    temperature: typeof r.temperature === 'number' ? r.temperature : 1,
    text: isRecord(r.text) ? r.text : { format: { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: Array.isArray(r.tools) ? r.tools : [],
    top_p: typeof r.top_p === 'number' ? r.top_p : 1,
    truncation: 'disabled',
    user: typeof r.user === 'string' ? r.user : null,
  };
}

/** The neutral result → a Responses `response` object. */
export function neutralToResponsesResponse(result: ChatResult, echo: ResponsesEcho): ResponsesResponse {
  const output: OutputItem[] = [];
  if (result.text) {
    output.push({ type: 'message', id: randomId('msg_'), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: result.text, annotations: [], logprobs: [] }] });
  }
  for (const call of result.toolCalls) {
    output.push({ type: 'function_call', id: randomId('fc_'), call_id: call.id, name: call.name, arguments: call.arguments, status: 'completed' });
  }
  const incomplete = incompleteOf(result.stopReason);
  return {
    ...envelope({ ...echo, id: echo.id ?? randomId('resp_'), createdAt: Math.floor(Date.now() / 1000) }),
    status: incomplete ? 'incomplete' : 'completed',
    output,
    incomplete_details: incomplete,
    usage: usageOf(result.usage),
  } as ResponsesResponse;
}

// ---------------------------------------------------------------------------------------------------------
// Streams

export type ResponsesStreamEvent = { type: string; sequence_number: number; [key: string]: unknown };

/**
 * Neutral stream events → Responses stream events: `response.created`, `response.in_progress`, then per
 * output item `output_item.added` … `output_item.done` (text via `content_part`/`output_text` events,
 * function calls via `function_call_arguments` events), and `response.completed` (or `.incomplete`) with the
 * whole response. Every event object is fresh: the SDK's stream helper keeps and mutates what it receives.
 */
export class ResponsesStreamEncoder {
  private seq = 0;
  private started = false;
  private readonly id: string;
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly output: OutputItem[] = [];
  private open: OutputItem | undefined;
  private readonly toolItems = new Map<number, FunctionCallItem>();

  constructor(private readonly echo: ResponsesEcho) {
    this.id = echo.id ?? randomId('resp_');
  }

  push(event: ChatStreamEvent): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    if (!this.started) {
      this.started = true;
      const snapshot = this.snapshot('in_progress', null, null);
      out.push(this.ev('response.created', { response: snapshot }), this.ev('response.in_progress', { response: this.snapshot('in_progress', null, null) }));
    }
    switch (event.type) {
      case 'start':
        break;
      case 'text_delta': {
        if (this.open?.type !== 'message') {
          this.close(out);
          const item: MessageItem = { type: 'message', id: randomId('msg_'), status: 'in_progress', role: 'assistant', content: [] };
          this.begin(item, out);
          out.push(this.ev('response.content_part.added', { item_id: item.id, output_index: this.index(item), content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } }));
          item.content.push({ type: 'output_text', text: '', annotations: [], logprobs: [] });
        }
        const item = this.open as MessageItem;
        item.content[0]!.text += event.text;
        out.push(this.ev('response.output_text.delta', { item_id: item.id, output_index: this.index(item), content_index: 0, delta: event.text, logprobs: [] }));
        break;
      }
      case 'tool_call_start': {
        this.close(out);
        const item: FunctionCallItem = { type: 'function_call', id: randomId('fc_'), call_id: event.id, name: event.name, arguments: '', status: 'in_progress' };
        this.toolItems.set(event.index, item);
        this.begin(item, out);
        break;
      }
      case 'tool_call_delta': {
        const item = this.toolItems.get(event.index);
        if (!item) break;
        item.arguments += event.arguments;
        out.push(this.ev('response.function_call_arguments.delta', { item_id: item.id, output_index: this.index(item), delta: event.arguments }));
        break;
      }
      case 'finish': {
        this.close(out);
        const incomplete = incompleteOf(event.stopReason);
        const final = this.snapshot(incomplete ? 'incomplete' : 'completed', incomplete, usageOf(event.usage));
        out.push(this.ev(incomplete ? 'response.incomplete' : 'response.completed', { response: final }));
        break;
      }
    }
    return out;
  }

  private begin(item: OutputItem, out: ResponsesStreamEvent[]): void {
    this.output.push(item);
    this.open = item;
    out.push(this.ev('response.output_item.added', { output_index: this.index(item), item: structuredClone(item) }));
  }

  private close(out: ResponsesStreamEvent[]): void {
    const item = this.open;
    if (!item) return;
    this.open = undefined;
    item.status = 'completed';
    const output_index = this.index(item);
    if (item.type === 'message') {
      const part = item.content[0]!;
      out.push(this.ev('response.output_text.done', { item_id: item.id, output_index, content_index: 0, text: part.text, logprobs: [] }));
      out.push(this.ev('response.content_part.done', { item_id: item.id, output_index, content_index: 0, part: structuredClone(part) }));
    } else {
      if (!item.arguments) item.arguments = '{}';
      out.push(this.ev('response.function_call_arguments.done', { item_id: item.id, output_index, name: item.name, arguments: item.arguments }));
    }
    out.push(this.ev('response.output_item.done', { output_index, item: structuredClone(item) }));
  }

  private index(item: OutputItem): number {
    return this.output.indexOf(item);
  }

  private snapshot(status: ResponsesResponse['status'], incomplete: { reason: string } | null, usage: ResponsesUsage | null): ResponsesResponse {
    return {
      ...envelope({ ...this.echo, id: this.id, createdAt: this.createdAt }),
      status,
      output: structuredClone(this.output),
      incomplete_details: incomplete,
      usage,
    } as ResponsesResponse;
  }

  private ev(type: string, fields: Record<string, unknown>): ResponsesStreamEvent {
    return { type, sequence_number: this.seq++, ...fields };
  }
}

/** One Responses event as an SSE frame: the event line names its type. */
export function responsesSseFrame(event: ResponsesStreamEvent): SseFrame {
  return { event: event.type, data: event };
}

/** A Responses-format error event, for a failure after the stream has started. */
export function responsesSseErrorFrame(message: string, code: string | null = null): SseFrame {
  return { event: 'error', data: { type: 'error', code, message, param: null, sequence_number: 0 } };
}
