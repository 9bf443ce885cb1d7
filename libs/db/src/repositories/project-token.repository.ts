import { Injectable } from '@nestjs/common';
import { Tx } from '../prisma.client';

export interface ProjectTokenRecord {
  id: string;
  userId: string;
  projectId: string;
  /** `tools`: the worker's token for the project's tools API; `user`: issued by the owner. */
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
    t: { userId: string; projectId: string; name: string; hash: Buffer; prefix: string; expiresAt: Date },
  ): Promise<ProjectTokenRecord> {
    return tx.projectToken.create({
      data: { userId: t.userId, projectId: t.projectId, name: t.name, tokenHash: new Uint8Array(t.hash), prefix: t.prefix, expiresAt: t.expiresAt },
      select: PUBLIC_FIELDS,
    });
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
