/**
 * Fixed-window request counter per socket. State lives with the socket (weakly held), which is right here:
 * a socket exists on exactly one replica, so no shared store is needed.
 */
export class SocketRateLimiter {
  private readonly windows = new WeakMap<object, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one request; false once `limit` requests were made in the current window. */
  allow(socket: object, now = Date.now()): boolean {
    const window = this.windows.get(socket);
    if (!window || now - window.start >= this.windowMs) {
      this.windows.set(socket, { start: now, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= this.limit;
  }
}
