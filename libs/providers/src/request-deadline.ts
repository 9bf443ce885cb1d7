import type { ErrorContext } from './provider.errors';

/**
 * The signal an adapter hands its SDK: it fires when the caller's signal fires, when the deadline passes, or
 * when the adapter cancels (the consumer stopped reading a stream). Afterwards `timedOut` tells a deadline
 * apart from the caller's abort, which SDKs report alike (or, mid-stream, not at all).
 *
 * Non-streaming calls get one deadline for the whole response; streams call `refresh()` on every chunk, so
 * the timeout bounds the wait for the first and each following chunk rather than the stream's length.
 */
export class RequestDeadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private fired = false;
  private readonly onParentAbort = () => this.controller.abort(this.parent?.reason);

  constructor(
    private readonly timeoutMs: number,
    private readonly parent?: AbortSignal,
  ) {
    if (parent?.aborted) this.controller.abort(parent.reason);
    else parent?.addEventListener('abort', this.onParentAbort, { once: true });
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when the deadline (not the caller, not a cancel) aborted the request. */
  get timedOut(): boolean {
    return this.fired;
  }

  /** Restarts the countdown (a stream chunk arrived). */
  refresh(): void {
    if (this.controller.signal.aborted) return;
    this.arm();
  }

  /** Stops the countdown while the consumer holds a chunk (its own pace is not the provider's delay). */
  pause(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Aborts the upstream request because nobody reads the result any more. */
  cancel(): void {
    this.dispose();
    if (!this.controller.signal.aborted) this.controller.abort(new Error('cancelled by the consumer'));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new Error('provider timeout'));
    }, this.timeoutMs);
    // A pending deadline must not keep the process alive on shutdown.
    this.timer.unref();
  }
}

/**
 * Runs one provider call under a {@link RequestDeadline}, converting whatever the SDK throws into a
 * ProviderError with the adapter's mapper (so every family reports timeouts and aborts the same way).
 */
export async function callWithDeadline<C, T>(
  opts: {
    timeoutMs: number;
    signal?: AbortSignal;
    /** Built inside the guarded block, so a client that cannot be built (no base URL) maps like any failure. */
    client: () => C;
    context: Omit<ErrorContext, 'timedOut'>;
    mapError: (error: unknown, ctx: ErrorContext) => Error;
  },
  fn: (client: C, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = new RequestDeadline(opts.timeoutMs, opts.signal);
  try {
    return await fn(opts.client(), deadline.signal);
  } catch (error) {
    throw opts.mapError(error, { ...opts.context, timedOut: deadline.timedOut });
  } finally {
    deadline.dispose();
  }
}
