import { CodedError } from '@pantheon/errors';

/** Codes the API maps to HTTP statuses in one place (see apps/api/src/common/http-exception.filter.ts). */
export enum DbErrorCode {
  NOT_FOUND = 'DB_NOT_FOUND',
  CONFLICT = 'DB_CONFLICT',
  MIGRATION_FAILED = 'DB_MIGRATION_FAILED',
  MIGRATION_CHECKSUM_MISMATCH = 'DB_MIGRATION_CHECKSUM_MISMATCH',
  MIGRATION_INCOMPLETE = 'DB_MIGRATION_INCOMPLETE',
  MIGRATION_MISSING = 'DB_MIGRATION_MISSING',
}

export class DbError extends CodedError<DbErrorCode> {}

/** True for Prisma's "unique constraint failed" (P2002) and PostgreSQL's 23505 surfaced through the adapter. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } };
  return e?.code === 'P2002' || e?.code === '23505' || e?.meta?.driverAdapterError?.cause?.originalCode === '23505';
}
