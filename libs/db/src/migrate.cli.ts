#!/usr/bin/env node
import { loadConfigSlice } from '@pantheon/config';
import { migrate } from './migrate';

/** `npm run db:migrate`: applies pending migrations as the owner role. */
async function main(): Promise<void> {
  const config = loadConfigSlice(['DATABASE_MIGRATION_URL']);
  if (!config.DATABASE_MIGRATION_URL) throw new Error('DATABASE_MIGRATION_URL (or DATABASE_MIGRATION_URL_FILE) is required');
  const result = await migrate({
    connectionString: config.DATABASE_MIGRATION_URL,
    log: (m) => process.stdout.write(`${m}\n`),
  });
  process.stdout.write(
    `migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`db:migrate failed: ${err.message}\n`);
  process.exitCode = 1;
});
