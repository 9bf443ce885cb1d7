import { PrismaClient } from '@pantheon/prisma-client';
import type { ProjectRecord } from '../repositories/project.repository';

export type ProjectLifecycleUpdate = Partial<
  Pick<ProjectRecord, 'status' | 'progressStep' | 'progress' | 'lastError' | 'attempts' | 'deletedAt' | 'subnetIndex'>
>;

/**
 * The worker's view of projects (role pantheon_worker): every project, but only lifecycle columns can be
 * written. Keys, settings and other user data are not granted to this role at all.
 */
export class ProjectSystemRepository {
  constructor(private readonly client: PrismaClient) {}

  get(id: string): Promise<ProjectRecord | null> {
    return this.client.project.findUnique({ where: { id } });
  }

  /**
   * A lifecycle update by the provision job: applied only while the project is not being deleted, so a build
   * racing a DELETE never overwrites `deleting`/`deleted` (which would undo the deletion for the reconciler
   * and the owner). False when nothing was written.
   */
  async updateUnlessDeleting(id: string, data: ProjectLifecycleUpdate): Promise<boolean> {
    const { count } = await this.client.project.updateMany({
      where: { id, deletedAt: null, status: { notIn: ['deleting', 'deleted'] } },
      data: { ...data, updatedAt: new Date() },
    });
    return count > 0;
  }

  /** Marks a run of the provision job (for diagnostics and the "each job runs once" check). */
  async countAttempt(id: string): Promise<number> {
    const p = await this.client.project.update({ where: { id }, data: { attempts: { increment: 1 }, updatedAt: new Date() } });
    return p.attempts;
  }

  /** Frees the project's subnet for reuse and marks it deleted, in one transaction. */
  async finishDeletion(id: string): Promise<void> {
    await this.client.$transaction([
      this.client.projectToken.updateMany({ where: { projectId: id, revokedAt: null }, data: { revokedAt: new Date() } }),
      this.client.subnetLease.deleteMany({ where: { projectId: id } }),
      this.client.project.update({
        where: { id },
        data: { status: 'deleted', subnetIndex: null, deletedAt: new Date(), progress: 100, progressStep: 'deprovision', updatedAt: new Date() },
      }),
    ]);
  }

  /**
   * Issues the tools API's project token (stored as a hash, kind `tools`); earlier tools tokens of the project
   * are revoked in the same transaction, so at most one is valid. Users' tokens are told apart by kind, never
   * by name, so a user's token called `tools-api` is left alone.
   */
  async issueToolsToken(p: { projectId: string; userId: string; hash: Buffer; prefix: string; expiresAt: Date }): Promise<void> {
    await this.client.$transaction([
      this.client.projectToken.updateMany({ where: { projectId: p.projectId, kind: 'tools', revokedAt: null }, data: { revokedAt: new Date() } }),
      this.client.projectToken.create({
        data: { userId: p.userId, projectId: p.projectId, kind: 'tools', name: 'tools-api', tokenHash: new Uint8Array(p.hash), prefix: p.prefix, expiresAt: p.expiresAt },
      }),
    ]);
  }

  /**
   * Revokes the project's platform tokens (kind `tools`, and the VM's `vm` gateway tokens), e.g. when it failed;
   * users' own tokens stay.
   */
  async revokeToolsTokens(projectId: string): Promise<number> {
    const { count } = await this.client.projectToken.updateMany({
      where: { projectId, kind: { in: ['tools', 'vm'] }, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count;
  }

  /**
   * Of the given running projects, each one's live tools token expiry (null when it has none), for renewal.
   * One query; ids that are not running are left out.
   */
  async toolsTokenExpiries(ids: string[]): Promise<Map<string, { ownerId: string; expiresAt: Date | null }>> {
    const out = new Map<string, { ownerId: string; expiresAt: Date | null }>();
    if (ids.length === 0) return out;
    const projects = await this.client.project.findMany({
      where: { id: { in: ids }, status: 'running', deletedAt: null },
      select: { id: true, ownerId: true },
    });
    for (const p of projects) out.set(p.id, { ownerId: p.ownerId, expiresAt: null });
    const tokens = await this.client.projectToken.findMany({
      where: { projectId: { in: [...out.keys()] }, kind: 'tools', revokedAt: null, expiresAt: { gt: new Date() } },
      select: { projectId: true, expiresAt: true },
    });
    for (const t of tokens) {
      const entry = out.get(t.projectId);
      if (entry && (entry.expiresAt === null || t.expiresAt > entry.expiresAt)) entry.expiresAt = t.expiresAt;
    }
    return out;
  }

  /** Projects in a transitional state whose last change is older than `before` (candidates to re-drive). */
  listStuck(statuses: string[], before: Date): Promise<ProjectRecord[]> {
    return this.client.project.findMany({
      where: { status: { in: statuses }, deletedAt: null, updatedAt: { lt: before } },
      orderBy: { updatedAt: 'asc' },
      take: 500,
    });
  }

  /** Failed projects unchanged since before `before` that still hold a subnet lease (candidates to release). */
  listFailedHoldingLease(before: Date): Promise<ProjectRecord[]> {
    return this.client.project.findMany({
      where: { status: 'failed', deletedAt: null, subnetIndex: { not: null }, updatedAt: { lt: before } },
      orderBy: { updatedAt: 'asc' },
      take: 500,
    });
  }

  /**
   * Frees a failed project's subnet for reuse and records why in `lastError`, in one transaction. Conditional on
   * the project still being failed (a DELETE or anything else that changed it meanwhile wins). False when nothing
   * was released.
   */
  async releaseFailedLease(id: string, lastError: string): Promise<boolean> {
    return this.client.$transaction(async (tx) => {
      const { count } = await tx.project.updateMany({
        where: { id, status: 'failed', deletedAt: null, subnetIndex: { not: null } },
        data: { subnetIndex: null, lastError, updatedAt: new Date() },
      });
      if (count === 0) return false;
      await tx.subnetLease.deleteMany({ where: { projectId: id } });
      return true;
    });
  }

  /** Of the given ids, those that exist and are live (not deleted). */
  async liveIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.client.project.findMany({
      where: { id: { in: ids }, deletedAt: null, status: { not: 'deleted' } },
      select: { id: true },
    });
    return new Set(rows.map((r) => r.id));
  }
}
