/** Codes the API maps to HTTP statuses in one place (see apps/api/src/common/http-exception.filter.ts). */
export enum DbErrorCode {
  NotFound = 'DB_NOT_FOUND',
  Conflict = 'DB_CONFLICT',
  MigrationFailed = 'DB_MIGRATION_FAILED',
  MigrationChecksumMismatch = 'DB_MIGRATION_CHECKSUM_MISMATCH',
  MigrationIncomplete = 'DB_MIGRATION_INCOMPLETE',
  MigrationMissing = 'DB_MIGRATION_MISSING',
}

export class DbError extends Error {
  constructor(
    readonly code: DbErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DbError';
  }
}

/** True for Prisma's "unique constraint failed" (P2002) and PostgreSQL's 23505 surfaced through the adapter. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } };
  return e?.code === 'P2002' || e?.code === '23505' || e?.meta?.driverAdapterError?.cause?.originalCode === '23505';
}

/** True for Prisma's "record to update/delete not found" (P2025). */
export function isRecordNotFound(err: unknown): boolean {
  return (err as { code?: string })?.code === 'P2025';
}
