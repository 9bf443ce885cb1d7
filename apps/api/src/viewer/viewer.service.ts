import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RequestMeta } from '@pantheon/auth';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { AuditLogRepository, DbService, ProjectRepository } from '@pantheon/db';
import { ProjectEventPublisher, ViewerGrant, ViewerSession, ViewerSessionStore } from '@pantheon/events';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { runningProjectSubnet } from '../projects/running-project';
import { ViewerTicketResponseDto } from './viewer.dto';

/** Tickets and session ids are 32 and 18 random bytes in base64url; anything else is refused before Redis. */
export const TICKET_RE = /^[A-Za-z0-9_-]{43}$/;
export const SESSION_ID_RE = /^[A-Za-z0-9_-]{24}$/;

export interface AuthorizedViewer {
  session: ViewerSession;
  /** The project VM's viewer (noVNC) base URL, without a trailing slash. */
  upstream: string;
}

/**
 * "Connect": the rules of viewer tickets and sessions. The relay (HTTP and WebSocket) asks this service before
 * every request and periodically for open sockets; a session is only as good as its project and owner now.
 */
@Injectable()
export class ViewerService {
  private readonly logger = new Logger('ViewerService');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly projects: ProjectRepository,
    private readonly audit: AuditLogRepository,
    private readonly store: ViewerSessionStore,
    private readonly events: ProjectEventPublisher,
  ) {}

  /** A single-use ticket for the owner of a running project. */
  async open(userId: string, projectId: string, viewOnly: boolean): Promise<ViewerTicketResponseDto> {
    await this.runningProjectViewer(userId, projectId);
    const { ticket, expiresAt } = await this.store.issueTicket({ userId, projectId, viewOnly }, this.config.VIEWER_TICKET_TTL_S);
    return { url: `${this.config.PUBLIC_URL?.replace(/\/$/, '') ?? ''}/viewer/t/${ticket}`, expires_at: expiresAt.toISOString(), view_only: viewOnly };
  }

  /** Swaps a ticket for a session (and its cookie secret); records `viewer.opened` and tells the owner's sockets. */
  async redeem(ticket: string, meta: RequestMeta): Promise<{ session: ViewerSession; secret: string }> {
    if (!TICKET_RE.test(ticket)) throw unknownTicket();
    const redemption = await this.store.redeemTicket(ticket);
    if (!redemption.ok) {
      if (redemption.reason === 'unknown') throw unknownTicket();
      throw new DomainError(
        DomainErrorCode.VIEWER_TICKET_GONE,
        redemption.reason === 'used'
          ? 'This viewer link was already used; each link opens one viewer. Open the viewer again from the project.'
          : 'This viewer link has expired; open the viewer again from the project.',
      );
    }
    const grant = redemption.grant;
    await this.runningProjectViewer(grant.userId, grant.projectId);
    const created = await this.store.createSession(grant, {
      idleSeconds: this.config.VIEWER_IDLE_TIMEOUT_S,
      maxPerUser: this.config.VIEWER_MAX_PER_USER,
      maxPerProject: this.config.VIEWER_MAX_PER_PROJECT,
    });
    if (!created.ok) {
      throw new DomainError(
        DomainErrorCode.LIMIT_REACHED,
        created.reason === 'user_limit'
          ? `You have ${this.config.VIEWER_MAX_PER_USER} viewers open, the most allowed; close one first`
          : `This project has ${this.config.VIEWER_MAX_PER_PROJECT} viewers open, the most allowed; close one first`,
      );
    }
    await this.db.withUser(grant.userId, (tx) =>
      this.audit.append(tx, {
        userId: grant.userId,
        action: 'viewer.opened',
        targetType: 'project',
        targetId: grant.projectId,
        metadata: { view_only: grant.viewOnly },
        ...meta,
      }),
    );
    await this.events
      .notifyViewerOpened(grant.userId, { projectId: grant.projectId, viewOnly: grant.viewOnly, at: new Date().toISOString() })
      .catch((err: Error) => this.logger.warn({ projectId: grant.projectId, err: err.message }, 'viewer notice failed'));
    return created;
  }

  /**
   * Checks a request under `/viewer/<id>/`: the session is live, the cookie holds its own secret, and its
   * user still owns the project, which is running. A valid use pushes the session's idle deadline.
   */
  async authorize(sessionId: string, secret: string | undefined): Promise<AuthorizedViewer> {
    const session = SESSION_ID_RE.test(sessionId) ? await this.store.authenticate(sessionId, secret) : null;
    if (!session) {
      throw new DomainError(
        DomainErrorCode.VIEWER_SESSION_INVALID,
        'This viewer session has ended or is not yours; open the viewer again from the project',
      );
    }
    let upstream: string;
    try {
      upstream = await this.runningProjectViewer(session.userId, session.projectId);
    } catch (err) {
      await this.store.end(session);
      throw err;
    }
    await this.store.touch(session, this.config.VIEWER_IDLE_TIMEOUT_S);
    return { session, upstream };
  }

  /**
   * For an open WebSocket: whether its session may go on (live, project running, user still the owner);
   * `active` pushes its idle deadline. An ended session is removed.
   */
  async stillAllowed(session: ViewerSession, active: boolean): Promise<boolean> {
    if (!(await this.store.isLive(session.id))) return false;
    try {
      await this.runningProjectViewer(session.userId, session.projectId);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      await this.store.end(session);
      return false;
    }
    if (active) await this.store.touch(session, this.config.VIEWER_IDLE_TIMEOUT_S);
    return true;
  }

  /**
   * Where the browser reaches the API: PUBLIC_URL when set, else the scheme and Host of its own request (a browser
   * cannot be made to send another site's Host). Null for a Host that is not a plain host[:port].
   */
  browserOrigin(protocol: string, host: string | undefined): URL | null {
    if (this.config.PUBLIC_URL) return new URL(this.config.PUBLIC_URL);
    if (!host || !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host)) return null;
    return new URL(`${protocol === 'https' ? 'https' : 'http'}://${host}`);
  }

  /** Ends a project's sessions at once (deleted or stopped); open sockets close on their next check. */
  endProject(grant: Omit<ViewerGrant, 'viewOnly'>): Promise<void> {
    return this.store.endProject(grant.userId, grant.projectId);
  }

  /** The VM viewer's URL of a running project the user owns; 404 for anyone else's, 409 when not running. */
  private runningProjectViewer(userId: string, projectId: string): Promise<string> {
    return this.db.withUser(userId, async (tx) => {
      const project = await this.projects.findLive(tx, projectId);
      const subnet = runningProjectSubnet(project?.ownerId === userId ? project : null, 'its desktop cannot be viewed');
      return this.config.VM_VIEWER_URL_TEMPLATE.replace('{vm_ip}', subnet.vm).replace(/\/+$/, '');
    });
  }
}

function unknownTicket(): DomainError {
  return new DomainError(DomainErrorCode.NOT_FOUND, 'This viewer link is not valid; open the viewer again from the project');
}
