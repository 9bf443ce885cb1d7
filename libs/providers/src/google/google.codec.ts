import {
  Content,
  FunctionCallingConfigMode,
  GenerateContentConfig,
  GenerateContentParameters,
  GenerateContentResponse,
  Part,
  ToolConfig,
} from '@google/genai';
import { ProviderError, ProviderErrorCode } from '../provider.errors';
import type { ChatParams } from '../provider';
import type { ChatMessage, ChatResult, ChatStreamEvent, StopReason, ToolCall, ToolChoice, Usage } from '../wire/chat.model';
import { compact, parseArguments, randomId } from '../wire/codec.util';
import { StreamDecoder } from '../wire/stream-decoder';

/** The Gemini API's codec: the neutral request → `generateContent` parameters, its responses → neutral. */

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
      return {
        role: 'user',
        parts: [
          ...(message.content ? [{ text: message.content }] : []),
          ...(message.images ?? []).map((image) => ({ inlineData: { mimeType: image.mimeType, data: image.data } })),
        ],
      };
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
          // Gemini reads images as inline parts of the same user turn.
          ...(message.images ?? []).map((image) => ({ inlineData: { mimeType: image.mimeType, data: image.data } })),
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
export class GoogleResponseDecoder extends StreamDecoder<GenerateContentResponse> {
  private model: string;
  private id: string | undefined;
  private text = '';
  private readonly toolCalls: ToolCall[] = [];
  private finishReason: string | undefined;
  private usage: Usage = { promptTokens: 0, completionTokens: 0 };

  constructor(requestedModel: string) {
    super();
    this.model = requestedModel;
  }

  override push(response: GenerateContentResponse): ChatStreamEvent[] {
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
        ...(meta.thoughtsTokenCount ? { reasoningTokens: meta.thoughtsTokenCount } : {}),
        ...(meta.cachedContentTokenCount ? { cacheReadTokens: meta.cachedContentTokenCount } : {}),
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

  protected override finish() {
    return {
      stopReason: googleFinishToStopReason(this.finishReason, this.toolCalls.length > 0),
      usage: this.usage,
      model: this.model,
    };
  }

  /** The whole answer, for a non-streaming call (one pushed response). */
  result(): ChatResult {
    return compact({ id: this.id, text: this.text, toolCalls: this.toolCalls, ...this.finish() });
  }
}
