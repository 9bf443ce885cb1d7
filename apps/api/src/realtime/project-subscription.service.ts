import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@pantheon/auth';
import { DbService, ProjectRepository } from '@pantheon/db';
import { ProjectEvent, ProjectEventReplay, SubscribeRequest } from '@pantheon/events';
import { roomOf } from './subscribe.dto';

/** Decides which room a subscription joins and what it missed; the gateway only moves sockets. */
@Injectable()
export class ProjectSubscriptionService {
  constructor(
    private readonly db: DbService,
    private readonly projects: ProjectRepository,
    private readonly replay: ProjectEventReplay,
  ) {}

  /**
   * The room for `request`, or null when the project does not exist for this user. The lookup runs under
   * the user's RLS scope, so someone else's project and a missing one are indistinguishable.
   */
  async roomFor(user: AuthUser, request: SubscribeRequest): Promise<string | null> {
    if ('projectId' in request) {
      const project = await this.db.withUser(user.id, (tx) => this.projects.findLive(tx, request.projectId));
      if (!project) return null;
    }
    return roomOf(user.id, request);
  }

  /** The user's events after `lastSeq`, only the project's for a project subscription (oldest first). */
  missed(user: AuthUser, request: SubscribeRequest, lastSeq: number): Promise<ProjectEvent[]> {
    return this.replay.readSince(user.id, lastSeq, 'projectId' in request ? request.projectId : undefined);
  }
}
