import { Logger } from '@nestjs/common';
import type { UserGenerations } from '@pantheon/events';
import { ProjectLifecycleUpdate, ProjectSystemRepository } from '@pantheon/db';
import type { PrismaClient } from '@pantheon/prisma-client';

/**
 * The worker's project store, moving the owner's generation on (UserGenerations) after every write that
 * changes what the API's LLM gateway may have cached: a token revoked or replaced, a status change (failed,
 * deleted). The write is committed first. A generation that cannot be moved (Redis down) is logged and the
 * job goes on: the API's caches then see the change within GATEWAY_CACHE_TTL_MS.
 */
export class GatewayInvalidatingProjects extends ProjectSystemRepository {
  private readonly logger = new Logger('GatewayInvalidatingProjects');

  constructor(
    client: PrismaClient,
    private readonly generations: Pick<UserGenerations, 'bump'>,
  ) {
    super(client);
  }

  override async updateUnlessDeleting(id: string, data: ProjectLifecycleUpdate): Promise<boolean> {
    const written = await super.updateUnlessDeleting(id, data);
    if (written && (data.status !== undefined || data.deletedAt !== undefined)) await this.invalidate(id);
    return written;
  }

  override async finishDeletion(id: string): Promise<void> {
    await super.finishDeletion(id);
    await this.invalidate(id);
  }

  override async issueToolsToken(p: Parameters<ProjectSystemRepository['issueToolsToken']>[0]): Promise<void> {
    await super.issueToolsToken(p);
    await this.bump(p.userId);
  }

  override async revokeToolsTokens(projectId: string): Promise<number> {
    const revoked = await super.revokeToolsTokens(projectId);
    if (revoked > 0) await this.invalidate(projectId);
    return revoked;
  }

  private async invalidate(projectId: string): Promise<void> {
    const project = await this.get(projectId);
    if (project) await this.bump(project.ownerId);
  }

  private bump(userId: string): Promise<void> {
    return this.generations.bump(userId).catch((err: Error) =>
      this.logger.error({ userId, err: err.message }, 'generation not moved on; API gateway caches see the change within GATEWAY_CACHE_TTL_MS'),
    );
  }
}
