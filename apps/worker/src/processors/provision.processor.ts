import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { generateProjectToken } from '@pantheon/crypto';
import type { ProjectRecord, ProjectSystemRepository } from '@pantheon/db';
import { ProjectJobData, ProvisionStep, QueueJob } from '@pantheon/events';
import { subnetForIndex } from '@pantheon/ipam';
import { ContainerRuntime, RuntimeError } from '@pantheon/runtime';
import { ProvisionFailure, userFacingReason } from '../provisioning/failure-reason';
import { platformNetworkSpec, ProjectPlan, TOOLS_API_PORT, VmSpec } from '../provisioning/project-plan';
import { prepareShareFolder, removeShareFolder, shareDirFor } from '../provisioning/share-folder';
import { removeProjectResources } from '../provisioning/teardown';
import { WorkerMetrics } from '../worker.metrics';
import { PROJECT_EVENTS, ProjectEventSink, PROJECTS, RUNTIME, TOOLS_READINESS, ToolsReadiness } from '../worker.tokens';

/** What provisioning needs of the project store (ProjectSystemRepository in production). */
export type ProvisionProjects = Pick<ProjectSystemRepository, 'get' | 'countAttempt' | 'updateUnlessDeleting' | 'issueToolsToken'>;

const STEP_PROGRESS: Record<ProvisionStep, number> = { network: 20, share: 40, vm: 60, tools: 80, ready: 100 };

/** The project was deleted while it was being built: stop quietly, deprovision cleans up. */
class ProvisionCancelled extends Error {}

/**
 * Builds a project: network → shared folder → VM → tools API → ready (health), each step idempotent so a
 * retried or re-driven job converges. Marks `running` only after the tools API reports the VM's viewer and
 * guest agent up. On the last failed attempt everything is torn down and the project is `failed`.
 */
@Injectable()
export class ProvisionProcessor {
  private readonly logger = new Logger('ProvisionProcessor');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RUNTIME) private readonly runtime: ContainerRuntime,
    @Inject(PROJECTS) private readonly projects: ProvisionProjects,
    @Inject(PROJECT_EVENTS) private readonly events: ProjectEventSink,
    @Inject(TOOLS_READINESS) private readonly toolsReady: ToolsReadiness,
    private readonly metrics: WorkerMetrics,
  ) {}

  async process(job: QueueJob<ProjectJobData>): Promise<string> {
    const { projectId, userId } = job.data;
    const project = await this.projects.get(projectId);
    // The payload's user must own the project: a job can never act on someone else's project.
    if (!project || project.ownerId !== userId) return 'missing';
    if (project.deletedAt || project.status === 'deleting' || project.status === 'deleted') return 'cancelled';
    if (project.status === 'running') {
      // A run killed between marking the project running and announcing it left subscribers one event short.
      await this.events.publish({ userId, projectId, status: 'running', step: 'ready', progress: 100 });
      return 'already-running';
    }
    // A failed project whose lease the reconciler released has nothing to build on; its reason stays.
    if (project.status === 'failed' && !project.subnetIndex) return 'lease-released';
    const attempt = await this.projects.countAttempt(projectId);
    this.logger.log({ projectId, userId, jobId: job.id, attempt, requestId: job.data.requestId }, 'provision started');
    try {
      await this.build(project);
      this.logger.log({ projectId, userId, jobId: job.id }, 'provision finished');
      return 'running';
    } catch (err) {
      if (err instanceof ProvisionCancelled || (await this.isBeingDeleted(projectId))) return 'cancelled';
      const reason = userFacingReason(err);
      this.logger.warn(
        { projectId, userId, jobId: job.id, attempt: job.attempt, final: job.lastAttempt, code: (err as RuntimeError).code, err: (err as Error).message },
        'provision attempt failed',
      );
      if (!job.lastAttempt) throw err;
      return (await this.fail(project, reason)) ? 'failed' : 'cancelled';
    }
  }

  private async build(project: ProjectRecord): Promise<void> {
    if (!project.subnetIndex) throw new ProvisionFailure('the project has no network assigned');
    const subnet = subnetForIndex(project.subnetIndex);
    const plan = new ProjectPlan(this.config, {
      projectId: project.id,
      ownerId: project.ownerId,
      subnet,
      vm: project.vmSpec as unknown as VmSpec,
    });
    await this.setStatus(project, 'provisioning', 'network', 0);

    await this.runStep(project, 'network', async () => {
      await this.runtime.ensureNetwork(plan.network());
    });
    await this.runStep(project, 'share', async () => {
      const readme = await prepareShareFolder(plan.shareDir);
      if (readme !== 'created' && readme !== 'kept') {
        // The VM can write the folder: a link or special file in place of README.txt was planted by the guest.
        this.logger.warn({ projectId: project.id, userId: project.ownerId, readme }, 'shared folder: README.txt was not a regular file; handled without following it');
      }
      await this.runtime.ensureContainer(plan.share());
    });
    await this.runStep(project, 'vm', async () => {
      await this.runtime.ensureContainer(plan.vm());
    });
    await this.runStep(project, 'tools', async () => {
      await this.runtime.ensureNetwork(platformNetworkSpec(this.config));
      await this.runtime.ensureContainer(plan.tools(await this.toolsTokenIfNeeded(project, plan.tools().name)));
      if (this.config.BACKEND_CONTAINER) {
        await this.runtime.connectNetwork(this.config.BACKEND_CONTAINER, plan.network().name, subnet.backend);
      }
    });
    await this.runStep(project, 'ready', async () => {
      const tools = await this.runtime.inspectContainer(plan.tools().name);
      const address = tools?.networks[this.config.PLATFORM_NETWORK] ?? subnet.tools;
      const health = await this.toolsReady(`http://${address}:${TOOLS_API_PORT}/health`, this.config.PROVISION_HEALTH_TIMEOUT_MS);
      if (!health.ok) {
        throw new ProvisionFailure(
          `the VM did not become ready within ${Math.round(this.config.PROVISION_HEALTH_TIMEOUT_MS / 1000)} s (tools API health: ${health.reason})`,
        );
      }
    });
  }

  /** A fresh project token only when the tools container is about to be created (a retry keeps the old one). */
  private async toolsTokenIfNeeded(project: ProjectRecord, toolsContainer: string): Promise<string | undefined> {
    if (await this.runtime.inspectContainer(toolsContainer)) return undefined;
    const issued = generateProjectToken();
    await this.projects.issueToolsToken({
      projectId: project.id,
      userId: project.ownerId,
      hash: issued.hash,
      prefix: issued.displayPrefix,
      expiresAt: new Date(Date.now() + this.config.PROJECT_TOKEN_TTL_HOURS * 3600_000),
    });
    return issued.token;
  }

  /** Runs one step unless the project is being deleted, then records and announces its completion. */
  private async runStep(project: ProjectRecord, step: ProvisionStep, work: () => Promise<void>): Promise<void> {
    if (await this.isBeingDeleted(project.id)) throw new ProvisionCancelled();
    await this.metrics.timeStep(step, work);
    const status = step === 'ready' ? 'running' : 'provisioning';
    await this.setStatus(project, status, step, STEP_PROGRESS[step]);
  }

  private async setStatus(project: ProjectRecord, status: 'provisioning' | 'running', step: ProvisionStep, progress: number): Promise<void> {
    // Conditional: a DELETE that landed during the step wins, and its subscribers hear nothing more from us.
    if (!(await this.projects.updateUnlessDeleting(project.id, { status, progressStep: step, progress, lastError: null }))) {
      throw new ProvisionCancelled();
    }
    await this.events.publish({ userId: project.ownerId, projectId: project.id, status, step, progress });
  }

  /** False when the project is being deleted meanwhile: then it is not marked failed (deprovision finishes it). */
  private async fail(project: ProjectRecord, reason: string): Promise<boolean> {
    // No half-built leftovers: a failed project keeps its row (and reason) but nothing in Docker.
    const tornDown = await removeProjectResources(this.runtime, project.id, this.config.BACKEND_CONTAINER).then(
      () => true,
      (err: Error) => {
        this.logger.error({ projectId: project.id, err: err.message }, 'teardown after failure incomplete; the reconciler will retry');
        return false;
      },
    );
    // Only once the VM is gone: a running guest could swap entries of the folder while it is walked.
    if (tornDown) {
      await removeShareFolder(shareDirFor(this.config.SHARE_ROOT, project.id)).catch((err: Error) =>
        this.logger.error({ projectId: project.id, err: err.message }, 'shared folder not removed after failure'),
      );
    }
    const current = await this.projects.get(project.id);
    if (!(await this.projects.updateUnlessDeleting(project.id, { status: 'failed', lastError: reason }))) return false;
    await this.events.publish({
      userId: project.ownerId,
      projectId: project.id,
      status: 'failed',
      step: (current?.progressStep as ProvisionStep | null) ?? null,
      progress: current?.progress ?? 0,
      error: reason,
    });
    return true;
  }

  private async isBeingDeleted(projectId: string): Promise<boolean> {
    const p = await this.projects.get(projectId);
    return !p || p.deletedAt !== null || p.status === 'deleting' || p.status === 'deleted';
  }
}
