import { Injectable } from '@nestjs/common';
import { Prisma, Tx } from '../prisma.client';

export interface AuditEntryInput {
  userId: string;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  metadata?: Prisma.InputJsonObject;
  requestId?: string | null;
  ip?: string | null;
}

export interface AuditEntryRecord {
  id: bigint;
  seq: bigint;
  action: string;
  targetType: string | null;
  targetId: string | null;
  metadata: Prisma.JsonValue;
  requestId: string | null;
  ip: string | null;
  createdAt: Date;
}

/** audit_log: append-only. seq, prev_hash, hash and created_at are computed by the database trigger. */
@Injectable()
export class AuditLogRepository {
  async append(tx: Tx, e: AuditEntryInput): Promise<void> {
    const metadata = JSON.stringify(e.metadata ?? {});
    // seq/hash are NOT NULL but filled by the BEFORE INSERT trigger, so pass placeholders it overwrites.
    await tx.$executeRaw`
      insert into audit_log (user_id, seq, action, target_type, target_id, metadata, request_id, ip, hash)
      values (${e.userId}::uuid, 0, ${e.action}, ${e.targetType ?? null}, ${e.targetId ?? null},
              ${metadata}::jsonb, ${e.requestId ?? null}, ${e.ip ?? null}, '\\x'::bytea)`;
  }

  /** Newest first, keyset-paginated on id (`before` = last id of the previous page). */
  list(tx: Tx, opts: { limit: number; before?: bigint; action?: string }): Promise<AuditEntryRecord[]> {
    return tx.auditLog.findMany({
      where: { ...(opts.before ? { id: { lt: opts.before } } : {}), ...(opts.action ? { action: opts.action } : {}) },
      orderBy: { id: 'desc' },
      take: opts.limit,
      select: {
        id: true, seq: true, action: true, targetType: true, targetId: true,
        metadata: true, requestId: true, ip: true, createdAt: true,
      },
    });
  }

  /** Seq of the first entry whose link or hash does not verify, or null when the chain is intact. */
  async firstBroken(tx: Tx, userId: string): Promise<{ brokenAt: bigint | null; count: bigint }> {
    const rows = await tx.$queryRaw<{ broken: bigint | null; count: bigint }[]>`
      select audit_log_first_broken(${userId}::uuid) as broken,
             (select count(*) from audit_log where user_id = ${userId}::uuid) as count`;
    return { brokenAt: rows[0]?.broken ?? null, count: rows[0]?.count ?? 0n };
  }
}
