import { Injectable } from '@nestjs/common';
import { Prisma, Tx } from '../prisma.client';
import { Page } from './provider-key.repository';
import { pageWithTotal } from './page';

export interface ProjectRecord {
  id: string;
  ownerId: string;
  name: string;
  status: string;
  progressStep: string | null;
  progress: number;
  attempts: number;
  subnetIndex: number | null;
  vmSpec: Prisma.JsonValue;
  lastError: string | null;
  idempotencyKey: string | null;
  tokenBudget: bigint | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export interface NewProject {
  ownerId: string;
  name: string;
  vmSpec: Prisma.InputJsonObject;
  idempotencyKey: string | null;
}

const MAX_SUBNET_INDEX = 254;

/** Totals over every tenant's projects that hold resources (aggregates only: no rows, no ids). */
export interface PlatformUsage {
  projects: number;
  ramGb: number;
  cpuCores: number;
}

/** projects and subnet_leases, inside a withUser scope (RLS shows the caller's projects only). */
@Injectable()
export class ProjectRepository {
  /** Serialises one user's project creations, so a quota check and the insert that follows cannot interleave. */
  async lockOwner(tx: Tx, userId: string): Promise<void> {
    await tx.$executeRaw`select pg_advisory_xact_lock(hashtextextended('projects:' || ${userId}, 0))`;
  }

  /**
   * Serialises admissions platform-wide (every API replica), so a capacity check and the insert that follows
   * cannot interleave. Taken after `lockOwner`, always in that order.
   */
  async lockPlatform(tx: Tx): Promise<void> {
    await tx.$executeRaw`select pg_advisory_xact_lock(hashtextextended('platform-capacity', 0))`;
  }

  /** What all projects holding resources add up to (SECURITY DEFINER `platform_project_usage()`). */
  async platformUsage(tx: Tx): Promise<PlatformUsage> {
    const rows = await tx.$queryRaw<{ projects: number; ram_gb: bigint; cpu_cores: bigint }[]>`
      select projects, ram_gb, cpu_cores from platform_project_usage()`;
    const row = rows[0];
    return { projects: Number(row?.projects ?? 0), ramGb: Number(row?.ram_gb ?? 0), cpuCores: Number(row?.cpu_cores ?? 0) };
  }

  countLive(tx: Tx): Promise<number> {
    return tx.project.count({ where: { deletedAt: null } });
  }

  findByIdempotencyKey(tx: Tx, key: string): Promise<ProjectRecord | null> {
    return tx.project.findFirst({ where: { idempotencyKey: key } });
  }

  /** Live projects only: a deleted project is gone for its owner. */
  findLive(tx: Tx, id: string): Promise<ProjectRecord | null> {
    return tx.project.findFirst({ where: { id, deletedAt: null } });
  }

  async list(tx: Tx, page: Page, status?: string): Promise<{ items: ProjectRecord[]; total: number }> {
    const where = { deletedAt: null, ...(status ? { status } : {}) };
    return pageWithTotal(
      page,
      () => tx.project.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: page.limit, skip: page.offset }),
      () => tx.project.count({ where }),
    );
  }

  create(tx: Tx, p: NewProject): Promise<ProjectRecord> {
    return tx.project.create({ data: { ...p, status: 'queued', progress: 0 } });
  }

  /**
   * Leases the lowest free subnet index to the project, or returns null when all 254 are taken. Two
   * concurrent callers that pick the same index collide on the primary key; the loser's insert does nothing
   * and it tries the next free one. Savepoints keep a collision from aborting the caller's transaction.
   */
  async leaseSubnet(tx: Tx, projectId: string): Promise<number | null> {
    for (let attempt = 0; attempt < MAX_SUBNET_INDEX; attempt++) {
      const free = await tx.$queryRaw<{ i: number }[]>`
        select i from generate_series(1, ${MAX_SUBNET_INDEX}) as i
        where not exists (select 1 from subnet_leases l where l.subnet_index = i)
        order by i limit 1`;
      if (free.length === 0) return null;
      const taken = await tx.$queryRaw<{ subnet_index: number }[]>`
        insert into subnet_leases (subnet_index, project_id) values (${free[0].i}::smallint, ${projectId}::uuid)
        on conflict (subnet_index) do nothing
        returning subnet_index`;
      if (taken.length === 1) {
        await tx.project.update({ where: { id: projectId }, data: { subnetIndex: taken[0].subnet_index } });
        return taken[0].subnet_index;
      }
    }
    return null;
  }

  /** Moves a live project to `deleting`; false when it does not exist (or is not the caller's). */
  async markDeleting(tx: Tx, id: string): Promise<boolean> {
    const { count } = await tx.project.updateMany({
      where: { id, deletedAt: null, status: { not: 'deleting' } },
      data: { status: 'deleting', progressStep: 'deprovision', updatedAt: new Date() },
    });
    return count > 0;
  }

  async setTokenBudget(tx: Tx, id: string, budget: number | null): Promise<ProjectRecord | null> {
    const { count } = await tx.project.updateMany({ where: { id, deletedAt: null }, data: { tokenBudget: budget === null ? null : BigInt(budget), updatedAt: new Date() } });
    return count > 0 ? tx.project.findUnique({ where: { id } }) : null;
  }
}
