import { Injectable } from '@nestjs/common';
import { Tx } from '../prisma.client';

export interface ProjectTokenRecord {
  id: string;
  userId: string;
  projectId: string;
  /**
   * `tools`: the worker's token for the project's tools API; `vm`: the short-lived gateway token in the VM user's
   * environment (issued at the tools API's request); `user`: issued by the owner.
   */
  kind: string;
  name: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const PUBLIC_FIELDS = {
  id: true, userId: true, projectId: true, kind: true, name: true, prefix: true,
  createdAt: true, expiresAt: true, revokedAt: true, lastUsedAt: true,
} as const;

/** project_tokens. Lookups by hash need a withTokenHash scope; the rest a withUser scope. */
@Injectable()
export class ProjectTokenRepository {
  create(
    tx: Tx,
    t: { userId: string; projectId: string; name: string; hash: Buffer; prefix: string; expiresAt: Date; kind?: 'user' | 'vm' },
  ): Promise<ProjectTokenRecord> {
    return tx.projectToken.create({
      data: { userId: t.userId, projectId: t.projectId, kind: t.kind ?? 'user', name: t.name, tokenHash: new Uint8Array(t.hash), prefix: t.prefix, expiresAt: t.expiresAt },
      select: PUBLIC_FIELDS,
    });
  }

  findById(tx: Tx, id: string): Promise<ProjectTokenRecord | null> {
    return tx.projectToken.findUnique({ where: { id }, select: PUBLIC_FIELDS });
  }

  /**
   * Revokes the project's live `vm` tokens except the newest `keep`: a renewed VM token leaves its predecessor
   * valid until it expires (programs started with it keep working), never more than that.
   */
  async revokeOlderVmTokens(tx: Tx, projectId: string, keep: number): Promise<number> {
    const live = await tx.projectToken.findMany({
      where: { projectId, kind: 'vm', revokedAt: null, expiresAt: { gt: new Date() } },
      orderBy: { createdAt: 'desc' },
      select: { id: true },
    });
    const stale = live.slice(keep).map((t) => t.id);
    if (stale.length === 0) return 0;
    const { count } = await tx.projectToken.updateMany({ where: { id: { in: stale }, revokedAt: null }, data: { revokedAt: new Date() } });
    return count;
  }

  findByHash(tx: Tx, hash: Buffer): Promise<ProjectTokenRecord | null> {
    return tx.projectToken.findUnique({ where: { tokenHash: new Uint8Array(hash) }, select: PUBLIC_FIELDS });
  }

  listForProject(tx: Tx, projectId: string): Promise<ProjectTokenRecord[]> {
    return tx.projectToken.findMany({ where: { projectId }, orderBy: { createdAt: 'desc' }, take: 100, select: PUBLIC_FIELDS });
  }

  async revoke(tx: Tx, projectId: string, id: string): Promise<boolean> {
    const { count } = await tx.projectToken.updateMany({ where: { id, projectId, revokedAt: null }, data: { revokedAt: new Date() } });
    return count > 0;
  }

  /** Records use at most once a minute: a write (and a row lock) per gateway call would serialise them. */
  async touch(tx: Tx, id: string): Promise<void> {
    const minuteAgo = new Date(Date.now() - 60_000);
    await tx.projectToken.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: minuteAgo } }] },
      data: { lastUsedAt: new Date() },
    });
  }
}
