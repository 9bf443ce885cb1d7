#!/usr/bin/env node
import { KeyRing, masterKeyVerifier } from '@pantheon/crypto';
import { ConfigError } from './config.errors';
import { envSchema, SENSITIVE_VARS } from './env.schema';
import { conditionallyMissing, loadConfig, withSecretFiles } from './load-config';

/** Passwords that must never reach production. */
const WEAK_PASSWORDS = new Set(['', 'postgres', 'password', 'pantheon', 'changeme', 'secret', 'admin', 'dev']);

/** Shows enough of a secret to recognise it: URLs keep scheme/host/user, everything else only its length. */
export function maskValue(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '****';
    return url.toString();
  } catch {
    return `**** (${value.length} chars)`;
  }
}

/** Problems that make a configuration unfit for production, by variable. */
export function productionProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  for (const name of ['DATABASE_URL', 'DATABASE_MIGRATION_URL', 'DATABASE_WORKER_URL', 'REDIS_URL'] as const) {
    const value = env[name];
    if (!value) continue;
    try {
      const url = new URL(value);
      if (WEAK_PASSWORDS.has(decodeURIComponent(url.password))) {
        problems.push(`${name}: password is empty or a well-known default`);
      }
    } catch {
      /* format errors are reported by the schema */
    }
  }
  const spec = env.PANTHEON_MASTER_KEYS;
  if (!spec) problems.push('PANTHEON_MASTER_KEYS: required in production');
  if (spec) {
    try {
      const ring = KeyRing.parse(spec);
      const verifiers = ring.versions.map((v) => masterKeyVerifier(ring, v).toString('hex'));
      if (new Set(verifiers).size !== verifiers.length) {
        problems.push('PANTHEON_MASTER_KEYS: two versions share the same key');
      }
    } catch (err) {
      problems.push(`PANTHEON_MASTER_KEYS: ${(err as Error).message}`);
    }
  }
  if (env.KEYCLOAK_URL && !env.KEYCLOAK_URL.startsWith('https://')) problems.push('KEYCLOAK_URL: must use https');
  if ((env.CORS_ORIGINS ?? '').split(',').some((o) => o.trim() === '*')) {
    problems.push('CORS_ORIGINS: "*" is not allowed');
  }
  if (env.KEYCLOAK_VERIFY_AUDIENCE === 'false') problems.push('KEYCLOAK_VERIFY_AUDIENCE: must stay on');
  // The API container is attached to every project network: a wildcard bind would expose /metrics to the VMs.
  if (['0.0.0.0', '::', '[::]'].includes(env.METRICS_HOST ?? '')) {
    problems.push('METRICS_HOST: must be the internal address (e.g. 10.0.1.2), not a wildcard');
  }
  return problems;
}

/** Prints what is set (secrets masked), what falls back to a default, what is missing. Exit 1 on problems. */
export function checkEnv(source: NodeJS.ProcessEnv, print: (line: string) => void): number {
  let env = source;
  try {
    env = withSecretFiles(source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err; // loadConfig below reports it with the rest
  }
  const shape = envSchema.shape;
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const required = new Set(conditionallyMissing(cleaned).map((p) => p.split(':')[0]));
  for (const name of Object.keys(shape) as (keyof typeof shape)[]) {
    const value = env[name];
    const optional = shape[name].safeParse(undefined).success && !required.has(name);
    if (value === undefined || value === '') {
      print(`${optional ? 'default ' : 'MISSING '} ${name}`);
    } else {
      print(`set      ${name}=${SENSITIVE_VARS.has(name) ? maskValue(value) : value}`);
    }
  }
  const problems: string[] = [];
  try {
    loadConfig(source);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  if (env.NODE_ENV === 'production') problems.push(...productionProblems(env));
  for (const p of problems) print(`PROBLEM  ${p}`);
  print(problems.length ? `${problems.length} problem(s)` : 'configuration OK');
  return problems.length ? 1 : 0;
}

if (require.main === module) {
  process.exitCode = checkEnv(process.env, (line) => process.stdout.write(`${line}\n`));
}
