import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import type { ProjectSystemRepository } from '@pantheon/db';
import type { ProjectJobQueue } from '@pantheon/events';
import { ContainerRuntime, isProjectId, LABEL_KEYS, MANAGED_LABEL_VALUE } from '@pantheon/runtime';
import { removeShareFolder, shareDirFor } from '../provisioning/share-folder';
import { removeProjectResources } from '../provisioning/teardown';
import { JOB_QUEUE, PROJECTS, RUNTIME } from '../worker.tokens';

/** What reconciling needs of the project store (ProjectSystemRepository in production). */
export type ReconcileProjects = Pick<ProjectSystemRepository, 'liveIds' | 'listStuck'>;

/** What reconciling needs of the job queue (ProjectJobQueue in production). */
export type ReconcileQueue = Pick<ProjectJobQueue, 'jobState' | 'enqueueProvision' | 'enqueueDeprovision'>;

export interface ReconcileReport {
  orphansRemoved: string[];
  /** Names of managed objects whose project label is not a project id: left alone (and logged), never fatal. */
  skipped: string[];
  provisionRequeued: string[];
  deprovisionRequeued: string[];
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
  ) {}

  async process(): Promise<ReconcileReport> {
    const report: ReconcileReport = { orphansRemoved: [], skipped: [], provisionRequeued: [], deprovisionRequeued: [] };

    const selector: Record<string, string> = { [LABEL_KEYS.managed]: MANAGED_LABEL_VALUE };
    // A test run only ever touches its own objects.
    if (this.config.RUNTIME_TEST_RUN_LABEL) selector[LABEL_KEYS.testRun] = this.config.RUNTIME_TEST_RUN_LABEL;
    const { containers, networks } = await this.runtime.listByLabel(selector);
    const seen = new Set<string>();
    for (const o of [...containers, ...networks]) {
      const label = o.labels[LABEL_KEYS.project];
      if (!label) continue;
      if (isProjectId(label)) {
        seen.add(label.toLowerCase());
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
      report.orphansRemoved.push(projectId);
    }

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
    if (report.orphansRemoved.length + report.skipped.length + report.provisionRequeued.length + report.deprovisionRequeued.length > 0) {
      this.logger.log(report, 'reconciled');
    }
    return report;
  }
}
