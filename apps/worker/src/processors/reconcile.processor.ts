import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import type { ProjectSystemRepository } from '@pantheon/db';
import type { ProjectJobQueue, ProvisionStep } from '@pantheon/events';
import { ContainerRuntime, isProjectId, LABEL_KEYS, MANAGED_LABEL_VALUE } from '@pantheon/runtime';
import { removeShareFolder, shareDirFor } from '../provisioning/share-folder';
import { removeProjectResources } from '../provisioning/teardown';
import { removeOemFolder } from '../provisioning/guest-agent-setup';
import { removeToolsSecrets } from '../provisioning/tools-secrets';
import { issueToolsToken, writeToolsCredential } from '../provisioning/tools-token';
import { JOB_QUEUE, PROJECT_EVENTS, ProjectEventSink, PROJECTS, RUNTIME, TOOLS_CREDENTIAL, ToolsCredential } from '../worker.tokens';

/** What reconciling needs of the project store (ProjectSystemRepository in production). */
export type ReconcileProjects = Pick<
  ProjectSystemRepository,
  'liveIds' | 'listStuck' | 'listFailedHoldingLease' | 'releaseFailedLease' | 'toolsTokenExpiries' | 'issueToolsToken'
>;

/** Appended to a failed project's reason once its network lease is released (the owner sees it). */
export const LEASE_RELEASED_NOTE = "Its network was released; delete the project and create it again to retry.";

/** What reconciling needs of the job queue (ProjectJobQueue in production). */
export type ReconcileQueue = Pick<ProjectJobQueue, 'jobState' | 'enqueueProvision' | 'enqueueDeprovision'>;

export interface ReconcileReport {
  orphansRemoved: string[];
  /** Names of managed objects whose project label is not a project id: left alone (and logged), never fatal. */
  skipped: string[];
  provisionRequeued: string[];
  deprovisionRequeued: string[];
  /** Failed projects whose subnet lease was released after FAILED_LEASE_GRACE_MS. */
  leasesReleased: string[];
  /** Running projects whose tools token was past half its lifetime (or gone) and got a fresh one. */
  toolsTokensRenewed: string[];
}

const BUSY_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Compares Docker (by label) with the database: removes objects whose project is gone or deleted, and
 * re-drives projects stuck in a transitional state whose job was lost (e.g. a worker killed mid-job that
 * exhausted its stall retries). So a killed worker never leaks containers or leaves a project half-built.
 */
@Injectable()
export class ReconcileProcessor {
  private readonly logger = new Logger('ReconcileProcessor');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RUNTIME) private readonly runtime: ContainerRuntime,
    @Inject(PROJECTS) private readonly projects: ReconcileProjects,
    @Inject(JOB_QUEUE) private readonly queue: ReconcileQueue,
    @Inject(PROJECT_EVENTS) private readonly events: ProjectEventSink,
    @Inject(TOOLS_CREDENTIAL) private readonly toolsCredential: ToolsCredential,
  ) {}

  async process(): Promise<ReconcileReport> {
    const report: ReconcileReport = {
      orphansRemoved: [],
      skipped: [],
      provisionRequeued: [],
      deprovisionRequeued: [],
      leasesReleased: [],
      toolsTokensRenewed: [],
    };

    const selector: Record<string, string> = { [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE };
    // A test run only ever touches its own objects.
    if (this.config.RUNTIME_TEST_RUN_LABEL) selector[LABEL_KEYS.testRun] = this.config.RUNTIME_TEST_RUN_LABEL;
    const { containers, networks } = await this.runtime.listByLabel(selector);
    const seen = new Set<string>();
    const withTools = new Set<string>();
    for (const o of [...containers, ...networks]) {
      const label = o.labels[LABEL_KEYS.project];
      if (!label) continue;
      if (isProjectId(label)) {
        seen.add(label.toLowerCase());
        if (o.labels[LABEL_KEYS.role] === 'tools') withTools.add(label.toLowerCase());
        continue;
      }
      // One bad label (hand-made or corrupted object) must not stop the pass for every other project.
      this.logger.warn({ object: o.name, label: label.slice(0, 64) }, 'skipped an object whose project label is not a project id');
      report.skipped.push(o.name);
    }
    const live = await this.projects.liveIds([...seen]);
    for (const projectId of seen) {
      if (live.has(projectId)) continue;
      await removeProjectResources(this.runtime, projectId, this.config.BACKEND_CONTAINER);
      await removeShareFolder(shareDirFor(this.config.SHARE_ROOT, projectId));
      await removeToolsSecrets(this.config.TOOLS_CREDENTIALS_ROOT, projectId);
      await removeOemFolder(this.config.OEM_DIR, projectId);
      report.orphansRemoved.push(projectId);
    }
    await this.renewToolsTokens([...withTools].filter((id) => live.has(id)), report);

    const before = new Date(Date.now() - this.config.STUCK_AFTER_MS);
    for (const p of await this.projects.listStuck(['queued', 'provisioning'], before)) {
      if (BUSY_STATES.has((await this.queue.jobState('provision', p.id)) ?? '')) continue;
      await this.queue.enqueueProvision({ userId: p.ownerId, projectId: p.id, requestId: null });
      report.provisionRequeued.push(p.id);
    }
    // A worker killed after marking a project running but before announcing it, whose job then ran out of
    // stall retries, left subscribers one event short: re-running the job re-announces the running state.
    for (const p of await this.projects.listStuck(['running'], before)) {
      if ((await this.queue.jobState('provision', p.id)) !== 'failed') continue;
      await this.queue.enqueueProvision({ userId: p.ownerId, projectId: p.id, requestId: null });
      report.provisionRequeued.push(p.id);
    }
    for (const p of await this.projects.listStuck(['deleting'], before)) {
      if (BUSY_STATES.has((await this.queue.jobState('deprovision', p.id)) ?? '')) continue;
      await this.queue.enqueueDeprovision({ userId: p.ownerId, projectId: p.id, requestId: null });
      report.deprovisionRequeued.push(p.id);
    }
    await this.releaseFailedLeases(report);
    if (Object.values(report).some((list) => list.length > 0)) {
      this.logger.log(report, 'reconciled');
    }
    return report;
  }

  /**
   * Only 254 subnets exist: a failed project gives its lease back after the grace period. Whatever the failure
   * left in Docker goes first (a network still holding the subnet would collide with its next holder), and the
   * shared folder only once its VM is gone. One project's trouble never stops the pass.
   */
  private async releaseFailedLeases(report: ReconcileReport): Promise<void> {
    const before = new Date(Date.now() - this.config.FAILED_LEASE_GRACE_MS);
    for (const p of await this.projects.listFailedHoldingLease(before)) {
      try {
        await removeProjectResources(this.runtime, p.id, this.config.BACKEND_CONTAINER);
        await removeShareFolder(shareDirFor(this.config.SHARE_ROOT, p.id));
        await removeOemFolder(this.config.OEM_DIR, p.id);
        const reason = p.lastError ? `${p.lastError.replace(/[.\s]*$/, '')}. ${LEASE_RELEASED_NOTE}` : LEASE_RELEASED_NOTE;
        if (!(await this.projects.releaseFailedLease(p.id, reason))) continue;
        report.leasesReleased.push(p.id);
        this.logger.log({ projectId: p.id, userId: p.ownerId, subnetIndex: p.subnetIndex }, 'released the subnet lease of a failed project');
        await this.events
          .publish({ userId: p.ownerId, projectId: p.id, status: 'failed', step: (p.progressStep as ProvisionStep | null) ?? null, progress: p.progress, error: reason })
          .catch((err: Error) => this.logger.warn({ projectId: p.id, err: err.message }, 'event publish failed'));
      } catch (err) {
        this.logger.warn({ projectId: p.id, err: (err as Error).message }, 'could not release the lease of a failed project; next pass retries');
      }
    }
  }

  /**
   * Keeps each running tools container's files current: the credential (it follows the current master key)
   * and the project token, renewed once less than half of TOOLS_TOKEN_TTL_S is left. The tools API re-reads
   * the file when it changes. One project's failure is logged and does not stop the others.
   */
  private async renewToolsTokens(ids: string[], report: ReconcileReport): Promise<void> {
    const expiries = await this.projects.toolsTokenExpiries(ids);
    const renewBefore = Date.now() + (this.config.TOOLS_TOKEN_TTL_S * 1000) / 2;
    for (const [projectId, { ownerId, expiresAt }] of expiries) {
      try {
        await writeToolsCredential(this.config, projectId, this.toolsCredential(projectId));
        if (expiresAt !== null && expiresAt.getTime() > renewBefore) continue;
        await issueToolsToken(this.config, this.projects, { id: projectId, ownerId });
        report.toolsTokensRenewed.push(projectId);
      } catch (err) {
        this.logger.warn({ projectId, err: (err as Error).message }, 'tools token renewal failed; retried next run');
      }
    }
  }
}
