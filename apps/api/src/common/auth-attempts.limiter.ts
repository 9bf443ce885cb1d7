import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { AuthAttemptLimiter } from '@pantheon/auth';

export interface AuthAttemptLimits {
  failureLimit: number;
  failureWindowMs: number;
  handshakeLimit: number;
  handshakeWindowMs: number;
}

// Redis trouble is logged at most this often (the limiter fails open, and a flood must not become log lines).
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Per client address: failed authentications (HTTP and sockets share one budget) and socket handshakes. Counters
 * live in Redis through the throttler's storage, so every replica counts the same attempts. An address over a
 * limit stays refused for the window. If Redis is down, attempts are let through (the 401s still stand).
 */
export class RedisAuthAttemptLimiter implements AuthAttemptLimiter {
  private readonly logger = new Logger('AuthAttemptLimiter');
  private lastErrorLog = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly storage: ThrottlerStorage,
    private readonly limits: AuthAttemptLimits,
  ) {}

  failure(client: string): Promise<number | null> {
    return this.hit(`auth-failure:${client}`, this.limits.failureLimit, this.limits.failureWindowMs, 'auth');
  }

  /** Counts one handshake, successful or not; seconds to wait when over the limit, else null. */
  handshake(client: string): Promise<number | null> {
    return this.hit(`ws-handshake:${client}`, this.limits.handshakeLimit, this.limits.handshakeWindowMs, 'ws');
  }

  private async hit(key: string, limit: number, windowMs: number, name: string): Promise<number | null> {
    try {
      const record = await this.storage.increment(key, windowMs, limit, windowMs, name);
      return record.isBlocked ? Math.max(1, record.timeToBlockExpire) : null;
    } catch (err) {
      if (Date.now() - this.lastErrorLog >= ERROR_LOG_INTERVAL_MS) {
        this.lastErrorLog = Date.now();
        this.logger.error({ err: (err as Error).message }, 'authentication attempts could not be counted; not limiting');
      }
      return null;
    }
  }
}
