import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './config.errors';
import { Env, envSchema, SENSITIVE_VARS } from './env.schema';

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
 * Each sensitive variable may instead name a file holding its value (`DATABASE_URL_FILE=/run/secrets/…`),
 * so that containers get secrets as mounted files rather than in their environment. A value set directly
 * wins. The file's contents are trimmed; an unreadable file is a ConfigError naming the variable.
 */
export function withSecretFiles(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const resolved: NodeJS.ProcessEnv = { ...source };
  for (const name of SENSITIVE_VARS) {
    const file = source[`${name}_FILE`];
    if (!file || source[name]) continue;
    try {
      resolved[name] = readFileSync(file, 'utf8').trim();
    } catch {
      throw new ConfigError([`${name}_FILE: cannot read ${file}`]);
    }
  }
  return resolved;
}

/**
 * Variables the schema leaves optional that are required in some processes: the owner role's URL only where
 * migrations run at boot (the API by default; the worker runs with MIGRATE_ON_BOOT=false and never holds it).
 */
const REQUIRED_WHEN: Partial<Record<keyof Env, { when: (env: Record<string, string | undefined>) => boolean; why: string }>> = {
  DATABASE_MIGRATION_URL: {
    when: (env) => !['false', '0', 'no'].includes(String(env.MIGRATE_ON_BOOT)),
    why: 'Required while MIGRATE_ON_BOOT is on (set MIGRATE_ON_BOOT=false where migrations do not run)',
  },
};

/** "VAR: why" for each conditionally required variable that `env` (empty values removed) lacks. */
export function conditionallyMissing(env: Record<string, string | undefined>, names?: readonly string[]): string[] {
  return Object.entries(REQUIRED_WHEN)
    .filter(([name, rule]) => (!names || names.includes(name)) && !env[name] && rule!.when(env))
    .map(([name, rule]) => `${name}: ${rule!.why}`);
}

/**
 * Validates `source` (default `process.env`) once. The only reader of process.env in the codebase.
 * Throws ConfigError naming every missing or malformed variable.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset, as most .env tooling writes `VAR=` for "no value".
  const cleaned = Object.fromEntries(Object.entries(withSecretFiles(source)).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  const problems = [...(parsed.success ? [] : describeIssues(parsed.error.issues)), ...conditionallyMissing(cleaned)];
  if (!parsed.success || problems.length) throw new ConfigError(problems);
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

  return { ...env, masterKeysSpec: env.PANTHEON_MASTER_KEYS };
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
  const cleaned = Object.fromEntries(Object.entries(withSecretFiles(source)).filter(([, v]) => v !== undefined && v !== ''));
  // zod's pick() cannot type a generic key set; the runtime schema is exactly the picked variables.
  const parsed = (envSchema.pick(mask as never) as unknown as z.ZodType<Pick<Env, K>>).safeParse(cleaned);
  const problems = [...(parsed.success ? [] : describeIssues(parsed.error.issues)), ...conditionallyMissing(cleaned, pick as readonly string[])];
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  return parsed.data;
}
