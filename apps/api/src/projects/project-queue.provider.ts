import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { createBullConnection, ProjectJobQueue } from '@pantheon/events';
import type Redis from 'ioredis';

/** The API's producer of provision/deprovision jobs (the API never runs them). */
@Injectable()
export class ProjectQueue extends ProjectJobQueue implements OnModuleDestroy {
  private readonly bull: Redis;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const connection = createBullConnection(config.REDIS_URL, 'pantheon-api-queue');
    super(connection, config.REDIS_PREFIX);
    this.bull = connection;
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
    await this.bull.quit().catch(() => this.bull.disconnect());
  }
}
