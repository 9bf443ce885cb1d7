import { ForbiddenException, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@pantheon/config';
import { generateProjectToken } from '@pantheon/crypto';
import { DbService, ProjectRepository, ProjectTokenRepository } from '@pantheon/db';
import { DomainError } from '../common/domain.error';
import { GatewayCache } from '../gateway-cache/gateway-cache';
import type { ProjectPrincipal } from './project-token.guard';

export interface IssuedVmToken {
  id: string;
  token: string;
  expires_at: string;
}

/**
 * The VM's gateway token (kind `vm`): the project's tools API asks for one with its own `tools` token and puts it
 * into the VM user's environment. Short-lived (VM_TOKEN_TTL_S), scoped to the project, revocable, revoked with the
 * project. Only a `tools` token may ask: a token that lives in the VM must not be able to mint its successors,
 * or revoking it would not end the VM's access.
 */
@Injectable()
export class VmTokenService {
  private readonly logger = new Logger(VmTokenService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly projects: ProjectRepository,
    private readonly tokens: ProjectTokenRepository,
    private readonly gatewayCache: GatewayCache,
  ) {}

  issue(principal: ProjectPrincipal, projectId: string): Promise<IssuedVmToken> {
    // Another project's id looks like a missing one.
    if (projectId !== principal.projectId) throw DomainError.notFound('Project');
    // Issuing revokes the older VM tokens: every API process must stop accepting them once this returns.
    return this.gatewayCache.invalidating(principal.userId, this.db.withUser(principal.userId, async (tx) => {
      const caller = await this.tokens.findById(tx, principal.tokenId);
      if (caller?.kind !== 'tools') throw new ForbiddenException("Only the project's tools API may ask for a VM token");
      if (!(await this.projects.findLive(tx, projectId))) throw DomainError.notFound('Project');
      const issued = generateProjectToken();
      const record = await this.tokens.create(tx, {
        userId: principal.userId,
        projectId,
        kind: 'vm',
        name: 'vm-env',
        hash: issued.hash,
        prefix: issued.displayPrefix,
        expiresAt: new Date(Date.now() + this.config.VM_TOKEN_TTL_S * 1000),
      });
      // The new one and its predecessor stay valid (programs started with the old one run on); older ones go.
      const revoked = await this.tokens.revokeOlderVmTokens(tx, projectId, 2);
      this.logger.log({ projectId, userId: principal.userId, prefix: issued.displayPrefix, revoked }, 'vm gateway token issued');
      return { id: record.id, token: issued.token, expires_at: record.expiresAt.toISOString() };
    }));
  }
}
