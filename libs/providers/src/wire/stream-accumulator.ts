import type { ChatResult, ChatStreamEvent, ToolCall } from './chat.model';

/**
 * Folds neutral stream events into the result a non-streaming call would have returned (text, tool calls with
 * their complete arguments, stop reason, usage) — for usage accounting and for storing a streamed answer.
 */
export class ChatStreamAccumulator {
  private id: string | undefined;
  private model = '';
  private text = '';
  private readonly calls: ToolCall[] = [];
  private finish: Extract<ChatStreamEvent, { type: 'finish' }> | undefined;

  push(event: ChatStreamEvent): void {
    switch (event.type) {
      case 'start':
        this.id = event.id;
        this.model = event.model;
        break;
      case 'text_delta':
        this.text += event.text;
        break;
      case 'tool_call_start':
        this.calls[event.index] =
          event.signature === undefined
            ? { id: event.id, name: event.name, arguments: '' }
            : { id: event.id, name: event.name, arguments: '', signature: event.signature };
        break;
      case 'tool_call_delta': {
        const call = this.calls[event.index];
        if (call) call.arguments += event.arguments;
        break;
      }
      case 'finish':
        this.finish = event;
        break;
    }
  }

  /** True once the `finish` event arrived (a stream that ends without it was cut off). */
  get finished(): boolean {
    return this.finish !== undefined;
  }

  result(): ChatResult {
    const result: ChatResult = {
      text: this.text,
      toolCalls: this.calls.filter(Boolean).map((c) => ({ ...c, arguments: c.arguments || '{}' })),
      stopReason: this.finish?.stopReason ?? 'error',
      usage: this.finish?.usage ?? { promptTokens: 0, completionTokens: 0 },
      model: this.finish?.model || this.model,
    };
    if (this.id !== undefined) result.id = this.id;
    if (this.finish?.stopSequence != null) result.stopSequence = this.finish.stopSequence;
    return result;
  }
}

/** Drains a neutral stream into its final result. */
export async function collectChatStream(events: AsyncIterable<ChatStreamEvent>): Promise<ChatResult> {
  const accumulator = new ChatStreamAccumulator();
  for await (const event of events) accumulator.push(event);
  return accumulator.result();
}
