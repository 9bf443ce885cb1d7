import type { AgentErrorCode } from '@pantheon/guest-agent';

/** A failure the caller should see: its code maps to an HTTP status (AGENT_ERROR_STATUS), its message is safe to show. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
  }
}
