import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { BudgetRepository, DbService, UsageInput, UsageRepository } from '@pantheon/db';

interface Pending {
  usage: UsageInput;
  /** The budget reservation the call held, released in the transaction that records it. */
  reservation: string | null;
  written: () => void;
}

/**
 * Metered calls' usage rows, written in batches off the response path: every USAGE_FLUSH_INTERVAL_MS or
 * USAGE_FLUSH_MAX_ROWS rows, one transaction per user per batch that also releases each row's reservation. A
 * row whose call held a reservation is flushed at once (its caller waits for it, see metered-call's record).
 * Failures are logged (ids and counts, no content) and the rows retried one by one, so one bad row never loses
 * the batch; whatever is queued is written when the app shuts down (before the database pool closes).
 */
@Injectable()
export class UsageFlushQueue implements OnModuleDestroy {
  private readonly logger = new Logger('UsageFlushQueue');
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private soon = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly usage: UsageRepository,
    private readonly budgets: BudgetRepository,
  ) {}

  /** Queues one call's usage; resolves once it is written (or its failure logged), never rejects. */
  add(usage: UsageInput, reservation: string | null): Promise<void> {
    return new Promise((written) => {
      this.pending.push({ usage, reservation, written });
      if (reservation || this.pending.length >= this.config.USAGE_FLUSH_MAX_ROWS) this.flushSoon();
      else this.timer ??= setTimeout(() => this.flushSoon(), this.config.USAGE_FLUSH_INTERVAL_MS);
    });
  }

  /** Writes everything queued so far; resolves when it and every batch already under way are written. */
  async flush(): Promise<void> {
    this.startBatch();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  /** Next turn of the event loop: calls finishing in the same tick share the batch. */
  private flushSoon(): void {
    if (this.soon) return;
    this.soon = true;
    setImmediate(() => {
      this.soon = false;
      this.startBatch();
    });
  }

  private startBatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const write = this.write(batch).finally(() => {
      this.inFlight.delete(write);
      for (const p of batch) p.written();
    });
    this.inFlight.add(write);
  }

  private async write(batch: Pending[]): Promise<void> {
    const byUser = new Map<string, Pending[]>();
    for (const p of batch) {
      const rows = byUser.get(p.usage.userId);
      if (rows) rows.push(p);
      else byUser.set(p.usage.userId, [p]);
    }
    await Promise.all([...byUser].map(([userId, rows]) => this.writeUser(userId, rows)));
  }

  private async writeUser(userId: string, rows: Pending[]): Promise<void> {
    try {
      await this.writeRows(userId, rows);
    } catch (err) {
      if (rows.length === 1) return this.lost(userId, rows, err as Error);
      this.logger.warn({ userId, rows: rows.length, err: (err as Error).message }, 'usage batch failed; writing its rows one by one');
      for (const row of rows) await this.writeRows(userId, [row]).catch((e: Error) => this.lost(userId, [row], e));
    }
  }

  private writeRows(userId: string, rows: Pending[]): Promise<void> {
    return this.db.withUser(userId, async (tx) => {
      await this.usage.recordMany(tx, rows.map((r) => r.usage));
      await this.budgets.releaseMany(tx, rows.flatMap((r) => (r.reservation ? [r.reservation] : [])));
    });
  }

  private lost(userId: string, rows: Pending[], err: Error): void {
    for (const { usage } of rows) {
      this.logger.error(
        { userId, projectId: usage.projectId ?? null, provider: usage.provider, model: usage.model, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, err: err.message },
        'usage not recorded',
      );
    }
  }
}
