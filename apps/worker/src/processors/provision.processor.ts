import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import type { ProjectRecord, ProjectSystemRepository } from '@pantheon/db';
import { ProjectJobData, ProvisionStep, QueueJob } from '@pantheon/events';
import { subnetForIndex } from '@pantheon/ipam';
import { ContainerRuntime, RegistryAuth, RuntimeError, RuntimeErrorCode } from '@pantheon/runtime';
import { ProvisionFailure, pullFailureReason, userFacingReason } from '../provisioning/failure-reason';
import { ProjectPlan, TOOLS_API_PORT, toolsNetworkSpec, VmSpec } from '../provisioning/project-plan';
import { prepareShareFolder, removeShareFolder, shareDirFor, writeShareConfig } from '../provisioning/share-folder';
import { removeProjectResources } from '../provisioning/teardown';
import { prepareGuestAgent, removeOemFolder } from '../provisioning/guest-agent-setup';
import { issueToolsToken, writeToolsCredential } from '../provisioning/tools-token';
import { PROJECT_TOKEN_FILE, removeToolsSecrets } from '../provisioning/tools-secrets';
import { WorkerMetrics } from '../worker.metrics';
import {
  PROJECT_EVENTS,
  ProjectEventSink,
  PROJECTS,
  RUNTIME,
  TOOLS_CREDENTIAL,
  TOOLS_READINESS,
  ToolsCredential,
  ToolsReadiness,
} from '../worker.tokens';

/** What provisioning needs of the project store (ProjectSystemRepository in production). */
export type ProvisionProjects = Pick<
  ProjectSystemRepository,
  'get' | 'countAttempt' | 'updateUnlessDeleting' | 'issueToolsToken' | 'revokeToolsTokens'
>;

/** States a provision job may act on; anything else in a payload is not trusted to mean "build it". */
const PROVISIONABLE = new Set(['queued', 'provisioning']);

const STEP_PROGRESS: Record<ProvisionStep, number> = { pulling: 0, network: 20, share: 40, vm: 60, tools: 80, ready: 100 };

/** Percentage points between two pull progress events. */
const PULL_EVENT_STEP = 5;

/** The worker's address on a project network while it probes (`.4`: tools .1, VM .2, backend .3). */
function probeAddress(cidr: string): string {
  return cidr.replace(/\.0\/24$/, '.4');
}

async function hasTokenFile(dir: string): Promise<boolean> {
  return access(join(dir, PROJECT_TOKEN_FILE)).then(
    () => true,
    () => false,
  );
}

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
    @Inject(TOOLS_CREDENTIAL) private readonly toolsCredential: ToolsCredential,
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
    // A payload is only a request: a failed (or otherwise settled) project is never rebuilt by one.
    if (!PROVISIONABLE.has(project.status)) {
      this.logger.warn({ projectId, jobId: job.id, status: project.status }, 'provision job ignored: the project is not provisionable');
      return 'not-provisionable';
    }
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

    await this.pullImages(project, [plan.vm().image, plan.share().image, plan.tools().image]);
    await this.runStep(project, 'network', async () => {
      await this.runtime.ensureNetwork(plan.network());
    });
    await this.runStep(project, 'share', async () => {
      const readme = await prepareShareFolder(plan.shareDir);
      if (readme !== 'created' && readme !== 'kept') {
        // The VM can write the folder: a link or special file in place of README.txt was planted by the guest.
        this.logger.warn({ projectId: project.id, userId: project.ownerId, readme }, 'shared folder: README.txt was not a regular file; handled without following it');
      }
      const configured = await writeShareConfig(plan.shareDir, plan.shareClientConfig());
      if (configured !== 'created') {
        this.logger.warn({ projectId: project.id, userId: project.ownerId, outcome: configured }, 'shared folder: pantheon.json was not a regular file; handled without following it');
      }
      await this.runtime.ensureContainer(plan.share());
    });
    await this.runStep(project, 'vm', async () => {
      await prepareGuestAgent(this.config, project.id, { warn: (message) => this.logger.warn({ projectId: project.id }, message) });
      await this.runtime.ensureContainer(plan.vm());
    });
    await this.runStep(project, 'tools', async () => {
      await this.ensureToolsNetwork();
      await writeToolsCredential(this.config, project.id, this.toolsCredential(project.id));
      // A fresh token for a new container; a retry keeps the running one's unless its file is gone.
      if (!(await this.runtime.inspectContainer(plan.tools().name)) || !(await hasTokenFile(plan.toolsSecretsDir))) {
        await issueToolsToken(this.config, this.projects, project);
      }
      await this.runtime.ensureContainer(plan.tools());
      if (this.config.BACKEND_CONTAINER) {
        await this.runtime.connectNetwork(this.config.BACKEND_CONTAINER, plan.network().name, subnet.backend);
        await this.runtime.connectNetwork(this.config.BACKEND_CONTAINER, this.config.TOOLS_NETWORK);
      }
    });
    await this.runStep(project, 'ready', async () => {
      const health = await this.probeTools(plan, subnet.tools, probeAddress(subnet.cidr));
      if (!health.ok) {
        throw new ProvisionFailure(
          `the VM did not become ready within ${Math.round(this.config.PROVISION_HEALTH_TIMEOUT_MS / 1000)} s (tools API health: ${health.reason})`,
        );
      }
    });
  }

  /**
   * Pulls every image that is absent, announcing a `pulling` step with the download's percentage (at most one
   * event per PULL_EVENT_STEP points, so a multi-GB pull does not flood subscribers). Nothing is announced
   * when every image is present. A pull that cannot succeed fails the attempt with a reason the owner reads.
   */
  private async pullImages(project: ProjectRecord, images: string[]): Promise<void> {
    const auth: RegistryAuth | undefined =
      this.config.REGISTRY_USERNAME && this.config.REGISTRY_PASSWORD
        ? { username: this.config.REGISTRY_USERNAME, password: this.config.REGISTRY_PASSWORD, serverAddress: this.config.REGISTRY_SERVER }
        : undefined;
    for (const image of new Set(images)) {
      if (await this.isBeingDeleted(project.id)) throw new ProvisionCancelled();
      let announced = -PULL_EVENT_STEP;
      const announce = (percent: number) => {
        if (percent - announced < PULL_EVENT_STEP && percent !== 0) return;
        announced = percent;
        void this.announcePull(project, image, percent);
      };
      try {
        await this.metrics.timeStep('pulling', () =>
          this.runtime.ensureImage(image, {
            auth,
            timeoutMs: this.config.IMAGE_PULL_TIMEOUT_MS,
            // The first event says the pull started; the engine's first progress line can take seconds.
            onProgress: announce,
          }),
        );
      } catch (err) {
        if (err instanceof RuntimeError && err.code === RuntimeErrorCode.IMAGE_PULL_FAILED) {
          this.logger.warn({ projectId: project.id, userId: project.ownerId, image, err: err.message }, 'image pull failed');
          throw new ProvisionFailure(pullFailureReason(image, err.message));
        }
        throw err;
      }
      if (announced >= 0) await this.announcePull(project, image, 100);
    }
  }

  private async announcePull(project: ProjectRecord, image: string, percent: number): Promise<void> {
    await this.events
      .publish({ userId: project.ownerId, projectId: project.id, status: 'provisioning', step: 'pulling', progress: 0, pull: { image, percent } })
      .catch((err: Error) => this.logger.warn({ projectId: project.id, err: err.message }, 'pull progress event not published'));
  }

  /**
   * Asks the tools API's /health with the project's credential. A worker on the host reaches it from the host
   * side of the tools network; a worker container cannot (ICC is off), so it joins the project network at .4
   * for the check only and leaves it again.
   */
  private async probeTools(plan: ProjectPlan, toolsIp: string, workerIp: string) {
    const probe = (address: string) =>
      this.toolsReady(`http://${address}:${TOOLS_API_PORT}/health`, this.config.PROVISION_HEALTH_TIMEOUT_MS, this.toolsCredential(plan.projectId));
    const self = this.config.WORKER_CONTAINER;
    if (!self) {
      const tools = await this.runtime.inspectContainer(plan.tools().name);
      return probe(tools?.networks[this.config.TOOLS_NETWORK] ?? toolsIp);
    }
    await this.runtime.connectNetwork(self, plan.network().name, workerIp);
    try {
      return await probe(toolsIp);
    } finally {
      await this.runtime.disconnectNetwork(self, plan.network().name).catch(() => undefined);
    }
  }

  /**
   * Creates the tools network, or adopts the one a deployment made (the production compose declares it, without
   * our label) as long as its containers cannot reach each other: otherwise tools containers are not attached.
   */
  private async ensureToolsNetwork(): Promise<void> {
    const existing = await this.runtime.inspectNetwork(this.config.TOOLS_NETWORK);
    if (existing === null) {
      await this.runtime.ensureNetwork(toolsNetworkSpec(this.config));
    } else if (!existing.isolated) {
      throw new ProvisionFailure(`the tools network ${this.config.TOOLS_NETWORK} lets containers reach each other (enable_icc must be false)`);
    }
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
    // A failed project's tools token must not keep working at the gateway.
    await this.projects.revokeToolsTokens(project.id);
    await removeToolsSecrets(this.config.TOOLS_CREDENTIALS_ROOT, project.id).catch(() => undefined);
    if (tornDown) await removeOemFolder(this.config.OEM_DIR, project.id).catch(() => undefined);
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
