import type { ChatMessage, ChatRequest, ChatResult, ImageContent, ToolDefinition, Usage } from '@pantheon/providers';

/** Where a chat's tools come from (a project's MCP server, or anything else that can list and call tools). */
export interface ToolSource {
  listTools(): Promise<ToolDefinition[]>;
  /** Runs one tool; its text and images go back to the model. Errors are reported to the model, not thrown. */
  callTool(name: string, args: Record<string, unknown>): Promise<ToolOutcome>;
  close(): Promise<void>;
}

export interface ToolOutcome {
  text: string;
  isError: boolean;
  /** Screenshots and other images the tool returned. */
  images?: ImageContent[];
}

export interface ToolLoopResult {
  result: ChatResult;
  /** Every message added during the loop (assistant tool calls and tool results), in order. */
  transcript: ChatMessage[];
  usage: Usage;
  steps: number;
}

/**
 * Lets the model call tools until it answers in text or `maxSteps` model turns have been used (then the last
 * turn is returned as it is, with stop reason `tool_calls`). Each turn is a separate call through `complete`,
 * so budgets and usage apply per turn.
 */
export async function runToolLoop(
  request: Omit<ChatRequest, 'model'>,
  tools: ToolSource,
  complete: (request: Omit<ChatRequest, 'model'>) => Promise<ChatResult>,
  maxSteps: number,
): Promise<ToolLoopResult> {
  const definitions = await tools.listTools();
  const messages: ChatMessage[] = [...request.messages];
  const transcript: ChatMessage[] = [];
  const usage: Usage = { promptTokens: 0, completionTokens: 0 };
  for (let step = 1; ; step++) {
    const result = await complete({ ...request, messages, tools: definitions.length ? definitions : undefined });
    usage.promptTokens += result.usage.promptTokens;
    usage.completionTokens += result.usage.completionTokens;
    if (result.toolCalls.length === 0 || step >= maxSteps) return { result, transcript, usage, steps: step };
    const assistant: ChatMessage = { role: 'assistant', content: result.text, toolCalls: result.toolCalls };
    messages.push(assistant);
    transcript.push(assistant);
    for (const call of result.toolCalls) {
      let args: Record<string, unknown> = {};
      let outcome: ToolOutcome;
      try {
        args = call.arguments ? (JSON.parse(call.arguments) as Record<string, unknown>) : {};
        outcome = await tools.callTool(call.name, args);
      } catch (err) {
        outcome = { text: `tool ${call.name} failed: ${(err as Error).message}`, isError: true };
      }
      const toolMessage: ChatMessage = {
        role: 'tool',
        toolCallId: call.id,
        name: call.name,
        content: outcome.text,
        isError: outcome.isError,
        ...(outcome.images?.length ? { images: outcome.images } : {}),
      };
      messages.push(toolMessage);
      transcript.push(toolMessage);
    }
  }
}
