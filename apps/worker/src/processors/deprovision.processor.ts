import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import type { ProjectSystemRepository } from '@pantheon/db';
import { ProjectJobData, QueueJob } from '@pantheon/events';
import { ContainerRuntime } from '@pantheon/runtime';
import { removeShareFolder, shareDirFor } from '../provisioning/share-folder';
import { removeProjectResources } from '../provisioning/teardown';
import { removeOemFolder } from '../provisioning/guest-agent-setup';
import { removeToolsSecrets } from '../provisioning/tools-secrets';
import { PROJECT_EVENTS, ProjectEventSink, PROJECTS, RUNTIME } from '../worker.tokens';

/** What deprovisioning needs of the project store (ProjectSystemRepository in production). */
export type DeprovisionProjects = Pick<ProjectSystemRepository, 'get' | 'finishDeletion'>;

/** Removes everything labelled with the project, its shared folder, then frees its subnet and marks it deleted. */
@Injectable()
export class DeprovisionProcessor {
  private readonly logger = new Logger('DeprovisionProcessor');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RUNTIME) private readonly runtime: ContainerRuntime,
    @Inject(PROJECTS) private readonly projects: DeprovisionProjects,
    @Inject(PROJECT_EVENTS) private readonly events: ProjectEventSink,
  ) {}

  async process(job: QueueJob<ProjectJobData>): Promise<string> {
    const { projectId, userId } = job.data;
    const project = await this.projects.get(projectId);
    if (!project || project.ownerId !== userId) return 'missing';
    if (project.status === 'deleted') {
      // A run killed between finishing the deletion and announcing it left subscribers one event short.
      await this.events.publish({ userId, projectId, status: 'deleted', step: 'deprovision', progress: 100 });
      return 'already-deleted';
    }
    // Only the API's DELETE puts a project in `deleting`: a payload alone never deletes anything.
    if (project.status !== 'deleting') {
      this.logger.warn({ projectId, jobId: job.id, status: project.status }, 'deprovision job ignored: the project is not being deleted');
      return 'not-deleting';
    }
    const removed = await removeProjectResources(this.runtime, projectId, this.config.BACKEND_CONTAINER);
    await removeShareFolder(shareDirFor(this.config.SHARE_ROOT, projectId));
    await removeToolsSecrets(this.config.TOOLS_CREDENTIALS_ROOT, projectId);
    await removeOemFolder(this.config.OEM_DIR, projectId);
    await this.projects.finishDeletion(projectId);
    await this.events.publish({ userId, projectId, status: 'deleted', step: 'deprovision', progress: 100 });
    this.logger.log({ projectId, userId, jobId: job.id, removed }, 'project deleted');
    return 'deleted';
  }
}
