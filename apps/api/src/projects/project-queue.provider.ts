import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { EnqueueResult, JobQueueFactory, ProjectJobData, ProjectJobQueue } from '@pantheon/events';

/** The API's producer of provision/deprovision jobs (the API never runs them). */
@Injectable()
export class ProjectQueue implements OnModuleDestroy {
  private readonly factory: JobQueueFactory;
  private readonly queue: ProjectJobQueue;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.factory = new JobQueueFactory({ redisUrl: config.REDIS_URL, redisPrefix: config.REDIS_PREFIX, connectionName: 'pantheon-api' });
    this.queue = this.factory.projectQueue();
  }

  enqueueProvision(data: ProjectJobData): Promise<EnqueueResult> {
    return this.queue.enqueueProvision(data);
  }

  enqueueDeprovision(data: ProjectJobData): Promise<EnqueueResult> {
    return this.queue.enqueueDeprovision(data);
  }

  onModuleDestroy(): Promise<void> {
    return this.factory.close();
  }
}
