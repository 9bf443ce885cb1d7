/**
 * Counts authentication attempts per client address. The API provides one backed by Redis, so every replica
 * shares the counters; without one, nothing is limited.
 */
export interface AuthAttemptLimiter {
  /** Records one failed authentication; resolves with the seconds to wait when `client` is over the limit, else null. */
  failure(client: string): Promise<number | null>;
}

export const AUTH_ATTEMPT_LIMITER = Symbol('AUTH_ATTEMPT_LIMITER');
