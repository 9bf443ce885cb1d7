import { GuestAgentError, type GuestAgentClient } from '../guest-agent/guest-agent.client';
import { HttpError } from '../http/http-error';
import type { Route } from '../http/router';

/** `GET /vm/info`: the guest agent's `/info`, or 502 when the agent gives no usable answer. */
export function vmRoutes(agent: GuestAgentClient): Route[] {
  return [
    {
      method: 'GET',
      path: '/vm/info',
      handle: async () => {
        try {
          return { status: 200, body: await agent.info() };
        } catch (error) {
          if (error instanceof GuestAgentError) throw new HttpError(502, error.message);
          throw error;
        }
      },
    },
  ];
}
