import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ComputerInputError, DesktopUnavailableError } from '../computer/computer.types';
import { GuestAgentError } from '../guest-agent/guest-agent.client';
import type { JsonLogger } from '../logging/json-logger';
import { ComputerArgsError } from './computer-args';

export function textResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }] };
}

/** A tool-level failure: the model sees the message and can correct itself (MCP `isError`). */
export function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** A call to the VM that did not finish in time; the message says which and how long. */
export class ToolTimeoutError extends Error {
  override readonly name = 'ToolTimeoutError';
}

/**
 * Settles with `promise` or rejects with ToolTimeoutError after `ms`, so no tool call hangs even when an
 * implementation below never answers (the late result is dropped).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ToolTimeoutError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Errors whose message is written for the model (no internals, no secrets). */
function isExplained(error: unknown): error is Error {
  return (
    error instanceof ComputerArgsError ||
    error instanceof ComputerInputError ||
    error instanceof DesktopUnavailableError ||
    error instanceof GuestAgentError ||
    error instanceof ToolTimeoutError
  );
}

/**
 * Turns a failure into a tool error. Unexpected errors are logged by name only (their message may hold
 * anything) and reach the model as a generic sentence.
 */
export function failureResult(error: unknown, tool: string, logger: JsonLogger): CallToolResult {
  if (isExplained(error)) return toolError(error.message);
  logger.error('tool failed', { tool, error: error instanceof Error ? error.name : 'non-error thrown' });
  return toolError(`${tool} failed unexpectedly; the error was logged`);
}
