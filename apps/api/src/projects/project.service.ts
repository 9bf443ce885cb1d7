import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthUser, RequestMeta } from '@pantheon/auth';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { AuditLogRepository, DbService, isUniqueViolation, ProjectRecord, ProjectRepository, Tx } from '@pantheon/db';
import { ProjectEventPublisher, ViewerSessionStore } from '@pantheon/events';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { pageInfo } from '../common/pagination.dto';
import { GatewayCache } from '../gateway-cache/gateway-cache';
import {
  CreateProjectDto,
  mapProject,
  ProjectListQueryDto,
  ProjectListResponseDto,
  ProjectResponseDto,
  VmSpecResponseDto,
} from './project.dto';
import { ProjectQueue } from './project-queue.provider';

export interface CreateProjectResult {
  project: ProjectResponseDto;
  /** True when an Idempotency-Key matched an earlier request and nothing new was created. */
  replayed: boolean;
}

@Injectable()
export class ProjectService {
  private readonly logger = new Logger('ProjectService');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly projects: ProjectRepository,
    private readonly audit: AuditLogRepository,
    private readonly queue: ProjectQueue,
    private readonly events: ProjectEventPublisher,
    private readonly viewers: ViewerSessionStore,
    private readonly gatewayCache: GatewayCache,
  ) {}

  /** Subscribers see a project appear or start deleting at once; a Redis hiccup must not fail the request. */
  private announce(userId: string, projectId: string, status: 'queued' | 'deleting'): Promise<void> {
    return this.events
      .publish({ userId, projectId, status, step: status === 'deleting' ? 'deprovision' : null, progress: 0 })
      .then(() => undefined, (err: Error) => this.logger.warn({ projectId, err: err.message }, 'event publish failed'));
  }

  async create(user: AuthUser, dto: CreateProjectDto, idempotencyKey: string | null, meta: RequestMeta): Promise<CreateProjectResult> {
    const vmSpec: VmSpecResponseDto = {
      ram_gb: dto.vm?.ram_gb ?? this.config.VM_DEFAULT_RAM_GB,
      cpu_cores: dto.vm?.cpu_cores ?? this.config.VM_DEFAULT_CPU_CORES,
      disk_gb: dto.vm?.disk_gb ?? this.config.VM_DEFAULT_DISK_GB,
      windows_version: dto.vm?.windows_version ?? '11',
    };
    let created: ProjectRecord;
    try {
      const outcome = await this.db.withUser(user.id, async (tx) => {
        await this.projects.lockOwner(tx, user.id);
        if (idempotencyKey) {
          const earlier = await this.projects.findByIdempotencyKey(tx, idempotencyKey);
          if (earlier) {
            const stored = (earlier.vmSpec ?? {}) as Record<string, unknown>;
            const same = earlier.name === dto.name && (Object.keys(vmSpec) as (keyof VmSpecResponseDto)[]).every((k) => stored[k] === vmSpec[k]);
            if (!same) {
              throw new DomainError(DomainErrorCode.CONFLICT, 'This Idempotency-Key was already used for a different request');
            }
            return { project: earlier, replayed: true };
          }
        }
        const live = await this.projects.countLive(tx);
        if (live >= this.config.PROJECTS_MAX_PER_USER) {
          throw new DomainError(
            DomainErrorCode.LIMIT_REACHED,
            `Project limit reached: you have ${live} of ${this.config.PROJECTS_MAX_PER_USER} projects; delete one first`,
          );
        }
        await this.assertPlatformCapacity(tx, vmSpec);
        const project = await this.projects.create(tx, {
          ownerId: user.id,
          name: dto.name,
          vmSpec: { ...vmSpec },
          idempotencyKey,
        });
        const subnetIndex = await this.projects.leaseSubnet(tx, project.id);
        if (subnetIndex === null) {
          throw new DomainError(DomainErrorCode.LIMIT_REACHED, 'No project network is free right now (all 254 are in use); try again later');
        }
        await this.audit.append(tx, {
          userId: user.id,
          action: 'project.created',
          targetType: 'project',
          targetId: project.id,
          metadata: { name: dto.name, vm: { ...vmSpec }, subnet_index: subnetIndex },
          ...meta,
        });
        return { project: { ...project, subnetIndex }, replayed: false };
      });
      if (outcome.replayed) return { project: mapProject(outcome.project), replayed: true };
      created = outcome.project;
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new DomainError(DomainErrorCode.CONFLICT, `You already have a project named "${dto.name}"`);
      }
      throw err;
    }
    await this.announce(user.id, created.id, 'queued');
    // After commit: if Redis is down the project stays queued and the reconciler enqueues it later.
    await this.queue
      .enqueueProvision({ userId: user.id, projectId: created.id, requestId: meta.requestId ?? null })
      .catch((err: Error) => this.logger.warn({ projectId: created.id, err: err.message }, 'enqueue failed; the reconciler will retry'));
    return { project: mapProject(created), replayed: false };
  }

  /**
   * Refuses a project the platform has no room for. Under a platform-wide advisory lock held until commit, so
   * concurrent creations on any replica are admitted one at a time against totals that include each other.
   * The message names the exhausted resource, never other tenants' totals.
   */
  private async assertPlatformCapacity(tx: Tx, vm: VmSpecResponseDto): Promise<void> {
    const { PLATFORM_MAX_PROJECTS: maxProjects, PLATFORM_MAX_RAM_GB: maxRam, PLATFORM_MAX_CPU_CORES: maxCpus } = this.config;
    if (maxProjects === 0 && maxRam === 0 && maxCpus === 0) return;
    await this.projects.lockPlatform(tx);
    const used = await this.projects.platformUsage(tx);
    const full: string[] = [];
    if (maxProjects > 0 && used.projects + 1 > maxProjects) full.push('projects');
    if (maxRam > 0 && used.ramGb + vm.ram_gb > maxRam) full.push(`RAM for a ${vm.ram_gb} GB VM`);
    if (maxCpus > 0 && used.cpuCores + vm.cpu_cores > maxCpus) full.push(`CPUs for a ${vm.cpu_cores}-core VM`);
    if (full.length === 0) return;
    throw new DomainError(
      DomainErrorCode.PLATFORM_AT_CAPACITY,
      `The platform is at capacity and cannot admit this project right now (no room for: ${full.join(', ')}). Try again later${
        full.length === 1 && full[0] !== 'projects' ? ', or ask for a smaller VM' : ''
      }.`,
    );
  }

  list(user: AuthUser, q: ProjectListQueryDto): Promise<ProjectListResponseDto> {
    return this.db.withUser(user.id, async (tx) => {
      const { items, total } = await this.projects.list(tx, q, q.status);
      return { data: items.map(mapProject), page: pageInfo(q, total) };
    });
  }

  get(user: AuthUser, id: string): Promise<ProjectResponseDto> {
    return this.db.withUser(user.id, async (tx) => {
      const project = await this.projects.findLive(tx, id);
      if (!project) throw DomainError.notFound('Project');
      return mapProject(project);
    });
  }

  setBudget(user: AuthUser, id: string, budget: number | null, meta: RequestMeta): Promise<ProjectResponseDto> {
    return this.gatewayCache.invalidating(user.id, this.db.withUser(user.id, async (tx) => {
      const updated = await this.projects.setTokenBudget(tx, id, budget);
      if (!updated) throw DomainError.notFound('Project');
      await this.audit.append(tx, {
        userId: user.id, action: 'project.budget_set', targetType: 'project', targetId: id, metadata: { token_budget: budget }, ...meta,
      });
      return mapProject(updated);
    }));
  }

  /** Deleting destroys the VM and its files, so the caller must repeat the project's name in `confirm`. */
  async remove(user: AuthUser, id: string, confirm: string | undefined, meta: RequestMeta): Promise<ProjectResponseDto> {
    const { project, changed } = await this.db.withUser(user.id, async (tx) => {
      const current = await this.projects.findLive(tx, id);
      if (!current) throw DomainError.notFound('Project');
      if (current.status === 'deleting') return { project: current, changed: false };
      if (confirm !== current.name) {
        throw new DomainError(
          DomainErrorCode.CONFLICT,
          `Deleting a project destroys its VM and shared files. To confirm, repeat the request with ?confirm=${encodeURIComponent(current.name)}`,
        );
      }
      await this.projects.markDeleting(tx, id);
      await this.audit.append(tx, {
        userId: user.id,
        action: 'project.deleted',
        targetType: 'project',
        targetId: id,
        metadata: { name: current.name },
        ...meta,
      });
      return { project: { ...current, status: 'deleting', progressStep: 'deprovision' }, changed: true };
    });
    if (changed) {
      // Its tokens are refused by the gateway from now on, in every API process.
      await this.gatewayCache.invalidate(user.id);
      await this.announce(user.id, id, 'deleting');
      // Open viewers of the project end now (their sockets close on the relay's next check).
      await this.viewers.endProject(user.id, id).catch((err: Error) => this.logger.warn({ projectId: id, err: err.message }, 'ending viewers failed'));
    }
    await this.queue
      .enqueueDeprovision({ userId: user.id, projectId: id, requestId: meta.requestId ?? null })
      .catch((err: Error) => this.logger.warn({ projectId: id, err: err.message }, 'enqueue failed; the reconciler will retry'));
    return mapProject(project);
  }
}
