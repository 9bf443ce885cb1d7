/**
 * The API with authentication and row-level security switched off, for bench/api.bench.ts's baseline only:
 * the same app, handlers and queries as `main.ts`, but every request is already "user BENCH_USER_ID" (no
 * token check, no user lookup) and every user scope runs its queries directly on a superuser connection (no
 * transaction, no `set_config`, no RLS). Never shipped: it lives under bench/ and only benchmarks start it.
 */
import 'reflect-metadata';
import { loadConfig } from '@pantheon/config';
import { AuthUser, KeycloakAuthGuard } from '@pantheon/auth';
import { createPrismaClient, DbService, Tx } from '@pantheon/db';
import { createApp, runApi } from '@pantheon/api/testing';

async function main(): Promise<void> {
  // Runs in every process of a cluster (each worker re-runs this file): the primary only forks.
  const user: AuthUser = JSON.parse(process.env.BENCH_USER_JSON ?? '') as AuthUser;
  const superuser = createPrismaClient({ connectionString: process.env.BENCH_SUPERUSER_URL ?? '', applicationName: 'pantheon-bench-open' });
  KeycloakAuthGuard.prototype.canActivate = function (context) {
    context.switchToHttp().getRequest<{ user?: AuthUser }>().user = user;
    return Promise.resolve(true);
  };
  DbService.prototype.withUser = function <T>(_userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return fn(superuser as unknown as Tx);
  };
  const config = loadConfig();
  await runApi(config, async () => {
    const app = await createApp({ config });
    await app.listen(config.API_PORT, config.API_HOST);
  });
}

main().catch((err: Error) => {
  process.stderr.write(`bench api-open failed: ${err.stack}\n`);
  process.exit(1);
});
