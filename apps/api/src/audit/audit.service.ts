import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@pantheon/auth';
import { AuditLogRepository, DbService } from '@pantheon/db';
import { AuditListResponseDto, AuditQueryDto, AuditVerifyResponseDto, mapAuditEntry } from './audit.dto';

@Injectable()
export class AuditService {
  constructor(
    private readonly db: DbService,
    private readonly audit: AuditLogRepository,
  ) {}

  list(user: AuthUser, q: AuditQueryDto): Promise<AuditListResponseDto> {
    return this.db.withUser(user.id, async (tx) => {
      const rows = await this.audit.list(tx, {
        limit: q.limit + 1,
        before: q.before ? BigInt(q.before) : undefined,
        action: q.action,
      });
      const page = rows.slice(0, q.limit);
      return {
        data: page.map(mapAuditEntry),
        next_before: rows.length > q.limit ? page[page.length - 1].id.toString() : null,
      };
    });
  }

  verify(user: AuthUser): Promise<AuditVerifyResponseDto> {
    return this.db.withUser(user.id, async (tx) => {
      const { brokenAt, count } = await this.audit.firstBroken(tx, user.id);
      return { valid: brokenAt === null, entries: Number(count), first_broken_seq: brokenAt?.toString() ?? null };
    });
  }
}
