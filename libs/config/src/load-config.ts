import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './config.errors';
import { Env, envSchema } from './env.schema';

export type AppConfig = Env & { masterKeysSpec: string | undefined };

/** Collects zod issues into "VAR: problem" lines. Values are never echoed (they may be secrets). */
function describeIssues(issues: { path: PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => `${String(i.path[0] ?? '(root)')}: ${i.message}`);
}

/** `redis://:pw@host` and `postgresql://user:pw@host` carry a password; `redis://host` does not. */
function hasPassword(value: string): boolean {
  try {
    return new URL(value).password !== '';
  } catch {
    return false;
  }
}

/**
 * Validates `source` (default `process.env`) once. The only reader of process.env in the codebase.
 * Throws ConfigError naming every missing or malformed variable.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset, as most .env tooling writes `VAR=` for "no value".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues));
  const env = parsed.data;
  // Two listeners on one address would fail at boot with EADDRINUSE; say which variables clash instead.
  if (env.METRICS_PORT !== 0 && env.METRICS_PORT === env.API_PORT) {
    throw new ConfigError(['METRICS_PORT: must differ from API_PORT (/metrics is never served on the public port)']);
  }

  // Without a password any container that reaches them owns the queues or the data: never in production.
  if (env.NODE_ENV === 'production') {
    const open = (['DATABASE_URL', 'DATABASE_MIGRATION_URL', 'DATABASE_WORKER_URL', 'REDIS_URL'] as const).filter(
      (name) => env[name] !== undefined && !hasPassword(env[name]!),
    );
    if (open.length > 0) throw new ConfigError(open.map((name) => `${name}: must include a password in production`));
  }

  let masterKeysSpec = env.PANTHEON_MASTER_KEYS;
  if (!masterKeysSpec && env.PANTHEON_MASTER_KEYS_FILE) {
    try {
      masterKeysSpec = readFileSync(env.PANTHEON_MASTER_KEYS_FILE, 'utf8').trim();
    } catch {
      throw new ConfigError([`PANTHEON_MASTER_KEYS_FILE: cannot read ${env.PANTHEON_MASTER_KEYS_FILE}`]);
    }
  }
  return { ...env, masterKeysSpec };
}

/**
 * Validates only the variables a command-line task needs (e.g. `db:migrate` needs no Keycloak settings).
 * `pick` is a set of variable names from the one schema, so there is still one definition per variable.
 */
export function loadConfigSlice<K extends keyof Env>(
  pick: readonly K[],
  source: NodeJS.ProcessEnv = process.env,
): Pick<Env, K> {
  const mask = Object.fromEntries(pick.map((k) => [k, true]));
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  // zod's pick() cannot type a generic key set; the runtime schema is exactly the picked variables.
  const parsed = (envSchema.pick(mask as never) as unknown as z.ZodType<Pick<Env, K>>).safeParse(cleaned);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues));
  return parsed.data;
}
