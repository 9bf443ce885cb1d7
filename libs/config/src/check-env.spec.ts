import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { KeyRing } from '@pantheon/crypto';
import { checkEnv, maskValue, productionProblems } from './check-env';
import { ConfigError } from './config.errors';
import { envSchema, SENSITIVE_VARS } from './env.schema';
import { loadConfig, loadConfigSlice } from './load-config';

const secret = (label: string) => `${label}-${randomBytes(9).toString('hex')}`;

/** A development environment: only the required variables. */
function devEnv(): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: `postgresql://pantheon_app:${secret('app')}@127.0.0.1:5432/pantheon`,
    DATABASE_MIGRATION_URL: `postgresql://pantheon_owner:${secret('owner')}@127.0.0.1:5432/pantheon`,
    KEYCLOAK_URL: 'http://127.0.0.1:8080',
  };
}

/** A production environment that passes every check; tests break one thing at a time. */
function prodEnv(): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: `postgresql://pantheon_app:${secret('app')}@postgres.internal:5432/pantheon`,
    DATABASE_MIGRATION_URL: `postgresql://pantheon_owner:${secret('owner')}@postgres.internal:5432/pantheon`,
    DATABASE_WORKER_URL: `postgresql://pantheon_worker:${secret('worker')}@postgres.internal:5432/pantheon`,
    REDIS_URL: `redis://:${secret('redis')}@redis.internal:6379`,
    KEYCLOAK_URL: 'https://auth.example.test',
    CORS_ORIGINS: 'https://app.example.test',
    PANTHEON_MASTER_KEYS: `${KeyRing.generateSpec(1)},${KeyRing.generateSpec(2)}`,
  };
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

function run(env: NodeJS.ProcessEnv): { code: number; lines: string[]; text: string } {
  const lines: string[] = [];
  const code = checkEnv(env, (line) => lines.push(line));
  return { code, lines, text: lines.join('\n') };
}

/**
 * Every secret inside `env`: URL passwords and master keys (whole spec and each key). Short ones are left out:
 * the weak-password cases use words ("password", "postgres") that problem lines and URLs legitimately contain.
 */
function secretsOf(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const name of SENSITIVE_VARS) {
    const value = env[name];
    if (!value) continue;
    try {
      const url = new URL(value);
      if (url.password) out.push(decodeURIComponent(url.password));
    } catch {
      out.push(value);
    }
  }
  for (const entry of (env.PANTHEON_MASTER_KEYS ?? '').split(',').filter(Boolean)) out.push(entry.split(':')[1]);
  return out.filter((s) => s.length >= 12);
}

describe('loadConfig', () => {
  it('accepts the required variables and fills in defaults, coercing types', () => {
    const config = loadConfig({ ...devEnv(), API_PORT: '8081', MIGRATE_ON_BOOT: 'no', DATABASE_POOL_MAX: '7' });
    assert.equal(config.API_PORT, 8081);
    assert.equal(config.MIGRATE_ON_BOOT, false);
    assert.equal(config.DATABASE_POOL_MAX, 7);
    assert.equal(config.NODE_ENV, 'development');
    assert.equal(config.REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(config.BODY_LIMIT, '100kb');
    assert.equal(config.KEYCLOAK_VERIFY_AUDIENCE, true);
    assert.equal(config.masterKeysSpec, undefined);
  });

  it('names every missing required variable', () => {
    const err = configError(() => loadConfig({}));
    const named = err.problems.map((p) => p.split(':')[0]).sort();
    assert.deepEqual(named, ['DATABASE_MIGRATION_URL', 'DATABASE_URL', 'KEYCLOAK_URL']);
    for (const name of named) assert.match(err.message, new RegExp(`- ${name}: `));
  });

  it('needs the owner role only where migrations run at boot', () => {
    const { DATABASE_MIGRATION_URL: _, ...worker } = devEnv();
    assert.equal(loadConfig({ ...worker, MIGRATE_ON_BOOT: 'false' }).DATABASE_MIGRATION_URL, undefined);
    const err = configError(() => loadConfig(worker));
    assert.deepEqual(err.problems.map((p) => p.split(':')[0]), ['DATABASE_MIGRATION_URL']);
    assert.match(err.message, /MIGRATE_ON_BOOT/);
  });

  it('treats empty strings as unset', () => {
    const err = configError(() => loadConfig({ ...devEnv(), DATABASE_URL: '' }));
    assert.deepEqual(err.problems.map((p) => p.split(':')[0]), ['DATABASE_URL']);
    // An empty optional variable falls back to its default instead of failing.
    assert.equal(loadConfig({ ...devEnv(), API_PORT: '' }).API_PORT, 3000);
  });

  it('names malformed variables without echoing their values', () => {
    const pass = secret('leak');
    const bad: NodeJS.ProcessEnv = {
      ...devEnv(),
      DATABASE_URL: `mysql://app:${pass}@db/pantheon`,
      DATABASE_MIGRATION_URL: `not a url ${pass}`,
      REDIS_URL: `http://:${pass}@redis:6379`,
      API_PORT: `port-${pass}`,
      NODE_ENV: `prod-${pass}`,
      BODY_LIMIT: `lots-${pass}`,
      MIGRATE_ON_BOOT: `maybe-${pass}`,
      DATABASE_POOL_MAX: '1000',
      REDIS_PREFIX: `bad prefix ${pass}`,
    };
    const err = configError(() => loadConfig(bad));
    const named = new Set(err.problems.map((p) => p.split(':')[0]));
    for (const name of ['DATABASE_URL', 'DATABASE_MIGRATION_URL', 'REDIS_URL', 'API_PORT', 'NODE_ENV', 'BODY_LIMIT', 'MIGRATE_ON_BOOT', 'DATABASE_POOL_MAX', 'REDIS_PREFIX']) {
      assert.ok(named.has(name), `${name} not named in: ${err.message}`);
    }
    assert.ok(!err.message.includes(pass), `a value was echoed: ${err.message}`);
    assert.match(err.problems.find((p) => p.startsWith('DATABASE_URL'))!, /postgres/);
  });

  it('reads the master keys from PANTHEON_MASTER_KEYS_FILE, and names the variable when it cannot', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pantheon-config-'));
    try {
      const spec = KeyRing.generateSpec(3);
      const file = path.join(dir, 'master-keys');
      writeFileSync(file, `${spec}\n`);
      assert.equal(loadConfig({ ...devEnv(), PANTHEON_MASTER_KEYS_FILE: file }).masterKeysSpec, spec);
      // The variable wins over the file.
      const direct = KeyRing.generateSpec(1);
      assert.equal(loadConfig({ ...devEnv(), PANTHEON_MASTER_KEYS: direct, PANTHEON_MASTER_KEYS_FILE: file }).masterKeysSpec, direct);
      const err = configError(() => loadConfig({ ...devEnv(), PANTHEON_MASTER_KEYS_FILE: path.join(dir, 'missing') }));
      assert.deepEqual(err.problems.map((p) => p.split(':')[0]), ['PANTHEON_MASTER_KEYS_FILE']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every secret variable from its *_FILE (compose secrets), so none has to be in the environment', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pantheon-config-'));
    try {
      const url = 'postgresql://pantheon_app:9f1c2b7d4e@10.0.1.4:5432/pantheon';
      const redis = 'redis://:5e8a1f0c3b@10.0.1.6:6379';
      writeFileSync(path.join(dir, 'db'), `${url}\n`);
      writeFileSync(path.join(dir, 'redis'), redis);
      const { DATABASE_URL: _, REDIS_URL: __, ...rest } = devEnv();
      const config = loadConfig({ ...rest, DATABASE_URL_FILE: path.join(dir, 'db'), REDIS_URL_FILE: path.join(dir, 'redis') });
      assert.equal(config.DATABASE_URL, url);
      assert.equal(config.REDIS_URL, redis);
      const err = configError(() => loadConfig({ ...rest, REDIS_URL: redis, DATABASE_URL_FILE: path.join(dir, 'nope') }));
      assert.deepEqual(err.problems, [`DATABASE_URL_FILE: cannot read ${path.join(dir, 'nope')}`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadConfig: metrics listeners', () => {
  it('defaults both /metrics listeners to loopback on their own ports', () => {
    const c = loadConfig(devEnv());
    assert.deepEqual([c.METRICS_HOST, c.METRICS_PORT, c.WORKER_METRICS_HOST, c.WORKER_METRICS_PORT], ['127.0.0.1', 9464, '127.0.0.1', 9465]);
    assert.equal(loadConfig({ ...devEnv(), METRICS_HOST: '10.0.1.2', METRICS_PORT: '0' }).METRICS_PORT, 0);
  });

  it('refuses /metrics on the public port and malformed addresses, naming the variable', () => {
    assert.deepEqual(configError(() => loadConfig({ ...devEnv(), API_PORT: '3000', METRICS_PORT: '3000' })).problems, [
      'METRICS_PORT: must differ from API_PORT (/metrics is never served on the public port)',
    ]);
    const bad = configError(() => loadConfig({ ...devEnv(), METRICS_HOST: 'http://10.0.1.2', WORKER_METRICS_PORT: '70000' }));
    assert.deepEqual(bad.problems.map((p) => p.split(':')[0]).sort(), ['METRICS_HOST', 'WORKER_METRICS_PORT']);
  });
});

describe('loadConfigSlice', () => {
  it('validates only the picked variables and returns only those', () => {
    const url = devEnv().DATABASE_MIGRATION_URL!;
    // KEYCLOAK_URL missing and API_PORT malformed: not picked, so not checked.
    const slice = loadConfigSlice(['DATABASE_MIGRATION_URL', 'LOG_LEVEL'], { DATABASE_MIGRATION_URL: url, API_PORT: 'x' });
    assert.deepEqual(slice, { DATABASE_MIGRATION_URL: url, LOG_LEVEL: 'info' });
  });

  it('names a missing or malformed picked variable without echoing it', () => {
    const missing = configError(() => loadConfigSlice(['DATABASE_MIGRATION_URL'], { DATABASE_URL: devEnv().DATABASE_URL }));
    assert.deepEqual(missing.problems.map((p) => p.split(':')[0]), ['DATABASE_MIGRATION_URL']);
    const pass = secret('slice');
    const bad = configError(() => loadConfigSlice(['DATABASE_MIGRATION_URL', 'REDIS_URL'], { DATABASE_MIGRATION_URL: `ftp://u:${pass}@h/db`, REDIS_URL: 'redis://127.0.0.1' }));
    assert.deepEqual(bad.problems.map((p) => p.split(':')[0]), ['DATABASE_MIGRATION_URL']);
    assert.ok(!bad.message.includes(pass));
  });
});

describe('maskValue', () => {
  it('masks the password of a URL and keeps scheme, user, host and database', () => {
    const pass = secret('pw');
    const masked = maskValue(`postgresql://pantheon_app:${pass}@db.internal:5432/pantheon`);
    assert.equal(masked, 'postgresql://pantheon_app:****@db.internal:5432/pantheon');
    assert.ok(!masked.includes(pass));
    assert.equal(maskValue(`redis://:${pass}@redis:6379`), 'redis://:****@redis:6379');
  });

  it('masks percent-encoded passwords too', () => {
    const masked = maskValue('postgresql://u:p%40ss%2Fw0rd-xyz@h/db');
    assert.ok(!masked.includes('p%40ss') && !masked.includes('p@ss'), masked);
    assert.match(masked, /^postgresql:\/\/u:\*\*\*\*@h\/db$/);
  });

  it('leaves a URL without a password as it is', () => {
    assert.equal(maskValue('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  });

  it('shows only the length of anything that is not a URL', () => {
    const spec = KeyRing.generateSpec(1);
    assert.equal(maskValue(spec), `**** (${spec.length} chars)`);
    assert.equal(maskValue('plain secret value'), '**** (18 chars)');
    assert.equal(maskValue(''), '**** (0 chars)');
  });
});

describe('checkEnv', () => {
  it('prints every schema variable once, masks secrets, and passes a good development config', () => {
    const env: NodeJS.ProcessEnv = { ...devEnv(), PANTHEON_MASTER_KEYS: KeyRing.generateSpec(1), REDIS_URL: `redis://:${secret('r')}@127.0.0.1:6379`, API_PORT: '3005' };
    const { code, lines, text } = run(env);
    assert.equal(code, 0, text);
    assert.equal(lines.at(-1), 'configuration OK');
    for (const name of Object.keys(envSchema.shape)) {
      assert.equal(lines.filter((l) => new RegExp(`^\\S+\\s+${name}(=|$)`).test(l)).length, 1, `${name} in:\n${text}`);
    }
    for (const s of secretsOf(env)) assert.ok(!text.includes(s), `secret printed:\n${text}`);
    assert.ok(lines.includes(`set      DATABASE_URL=${maskValue(env.DATABASE_URL!)}`), text);
    assert.ok(lines.includes(`set      PANTHEON_MASTER_KEYS=${maskValue(env.PANTHEON_MASTER_KEYS!)}`), text);
    // Non-secret values are shown as they are; unset optional ones as defaults.
    assert.ok(lines.includes('set      API_PORT=3005'), text);
    assert.ok(lines.includes('default  LOG_LEVEL'), text);
  });

  it('names missing required variables, exits 1, and counts the problems', () => {
    const { code, lines, text } = run({ KEYCLOAK_URL: 'http://127.0.0.1:8080' });
    assert.equal(code, 1);
    for (const name of ['DATABASE_URL', 'DATABASE_MIGRATION_URL']) {
      assert.ok(lines.includes(`MISSING  ${name}`), text);
      assert.ok(lines.some((l) => l.startsWith(`PROBLEM  ${name}: `)), text);
    }
    assert.ok(!lines.includes('MISSING  KEYCLOAK_URL'), text);
    assert.equal(lines.at(-1), '2 problem(s)');
  });

  it('names malformed secret variables without printing their values', () => {
    const pass = secret('bad');
    const env = { ...devEnv(), DATABASE_URL: `not a url ${pass}`, REDIS_URL: `memcached://:${pass}@h:1`, PANTHEON_MASTER_KEYS: `1:${pass}` };
    const { code, lines, text } = run(env);
    assert.equal(code, 1);
    assert.ok(lines.some((l) => l.startsWith('PROBLEM  DATABASE_URL: ')), text);
    assert.ok(lines.some((l) => l.startsWith('PROBLEM  REDIS_URL: ')), text);
    assert.ok(!text.includes(pass), `value printed:\n${text}`);
  });

  it('applies the production checks only when NODE_ENV=production', () => {
    const weak = { ...devEnv(), DATABASE_URL: 'postgresql://pantheon_app:postgres@127.0.0.1/pantheon', CORS_ORIGINS: '*' };
    assert.equal(run(weak).code, 0, run(weak).text);
    const prod = run({ ...weak, NODE_ENV: 'production' });
    assert.equal(prod.code, 1);
    assert.ok(prod.lines.some((l) => l.startsWith('PROBLEM  DATABASE_URL: password')), prod.text);
    assert.ok(prod.lines.some((l) => l.startsWith('PROBLEM  CORS_ORIGINS: ')), prod.text);
  });

  it('passes a good production config (exit 0) without printing any secret', () => {
    const env = prodEnv();
    assert.deepEqual(productionProblems(env), []);
    const { code, lines, text } = run(env);
    assert.equal(code, 0, text);
    assert.equal(lines.at(-1), 'configuration OK');
    const secrets = secretsOf(env);
    assert.equal(secrets.length, 4 + 1 + 2);
    for (const s of secrets) assert.ok(!text.includes(s), `secret printed:\n${text}`);
  });

  it('a production config with a master key file instead of the variable passes', () => {
    const { PANTHEON_MASTER_KEYS: spec, ...rest } = prodEnv();
    const dir = mkdtempSync(path.join(tmpdir(), 'pantheon-config-'));
    try {
      const file = path.join(dir, 'keys');
      writeFileSync(file, spec!);
      const { code, text } = run({ ...rest, PANTHEON_MASTER_KEYS_FILE: file });
      assert.equal(code, 0, text);
      assert.ok(!text.includes(spec!.split(',')[0].split(':')[1]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('passwords of the data services at boot', () => {
  const names = ['DATABASE_URL', 'DATABASE_MIGRATION_URL', 'DATABASE_WORKER_URL', 'REDIS_URL'] as const;
  const open: Record<(typeof names)[number], string> = {
    DATABASE_URL: 'postgresql://pantheon_app@postgres.internal:5432/pantheon',
    DATABASE_MIGRATION_URL: 'postgresql://pantheon_owner@postgres.internal:5432/pantheon',
    DATABASE_WORKER_URL: 'postgresql://pantheon_worker:@postgres.internal:5432/pantheon',
    REDIS_URL: 'redis://redis.internal:6379',
  };

  for (const name of names) {
    it(`refuses a production ${name} without a password, naming it`, () => {
      const err = configError(() => loadConfig({ ...prodEnv(), [name]: open[name] }));
      assert.deepEqual(err.problems, [`${name}: must include a password in production`]);
    });
  }

  it('lets development and tests use password-less services', () => {
    for (const NODE_ENV of ['development', 'test']) {
      const config = loadConfig({ ...prodEnv(), ...open, NODE_ENV });
      assert.equal(config.REDIS_URL, open.REDIS_URL);
    }
  });

  it('fails check-env too (exit 1)', () => {
    const { code, lines, text } = run({ ...prodEnv(), REDIS_URL: open.REDIS_URL });
    assert.equal(code, 1, text);
    assert.ok(lines.includes('PROBLEM  REDIS_URL: must include a password in production'), text);
  });
});

describe('productionProblems', () => {
  const key = () => KeyRing.generateSpec(1).split(':')[1];
  const cases: Array<[string, (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv, RegExp]> = [
    ['weak app DB password', (e) => ({ ...e, DATABASE_URL: 'postgresql://pantheon_app:postgres@postgres.internal/pantheon' }), /^DATABASE_URL: password is empty or a well-known default$/],
    ['empty app DB password', (e) => ({ ...e, DATABASE_URL: 'postgresql://pantheon_app@postgres.internal/pantheon' }), /^DATABASE_URL: password/],
    ['weak owner DB password', (e) => ({ ...e, DATABASE_MIGRATION_URL: 'postgresql://pantheon_owner:changeme@postgres.internal/pantheon' }), /^DATABASE_MIGRATION_URL: password/],
    ['weak worker DB password', (e) => ({ ...e, DATABASE_WORKER_URL: 'postgresql://pantheon_worker:pantheon@postgres.internal/pantheon' }), /^DATABASE_WORKER_URL: password/],
    ['percent-encoded weak password', (e) => ({ ...e, DATABASE_URL: 'postgresql://pantheon_app:%70assword@postgres.internal/pantheon' }), /^DATABASE_URL: password/],
    ['a password-less Redis', (e) => ({ ...e, REDIS_URL: 'redis://redis.internal:6379' }), /^REDIS_URL: password is empty or a well-known default$/],
    ['a weak Redis password', (e) => ({ ...e, REDIS_URL: 'redis://:changeme@redis.internal:6379' }), /^REDIS_URL: password/],
    ['missing master keys', (e) => ({ ...e, PANTHEON_MASTER_KEYS: undefined }), /^PANTHEON_MASTER_KEYS: required in production$/],
    ['duplicate master keys', (e) => {
      const k = key();
      return { ...e, PANTHEON_MASTER_KEYS: `1:${k},2:${k}` };
    }, /^PANTHEON_MASTER_KEYS: two versions share the same key$/],
    ['a malformed master key', (e) => ({ ...e, PANTHEON_MASTER_KEYS: '1:c2hvcnQ=' }), /^PANTHEON_MASTER_KEYS: .*32 bytes/],
    ['a repeated master key version', (e) => ({ ...e, PANTHEON_MASTER_KEYS: `1:${key()},1:${key()}` }), /^PANTHEON_MASTER_KEYS: .*more than once/],
    ['http Keycloak URL', (e) => ({ ...e, KEYCLOAK_URL: 'http://auth.example.test' }), /^KEYCLOAK_URL: must use https$/],
    ['CORS_ORIGINS=*', (e) => ({ ...e, CORS_ORIGINS: '*' }), /^CORS_ORIGINS: "\*" is not allowed$/],
    ['* among other origins', (e) => ({ ...e, CORS_ORIGINS: 'https://app.example.test, * ' }), /^CORS_ORIGINS: /],
    ['audience check off', (e) => ({ ...e, KEYCLOAK_VERIFY_AUDIENCE: 'false' }), /^KEYCLOAK_VERIFY_AUDIENCE: must stay on$/],
    ['a wildcard metrics address', (e) => ({ ...e, METRICS_HOST: '0.0.0.0' }), /^METRICS_HOST: must be the internal address/],
    ['an IPv6 wildcard metrics address', (e) => ({ ...e, METRICS_HOST: '::' }), /^METRICS_HOST: /],
  ];

  for (const [label, mutate, expected] of cases) {
    it(`rejects ${label}, naming the variable only`, () => {
      const env = mutate(prodEnv());
      const problems = productionProblems(env);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0], expected);
      for (const s of secretsOf(env)) assert.ok(!problems[0].includes(s), problems[0]);
      // checkEnv turns it into a PROBLEM line and exit code 1.
      const { code, lines, text } = run(env);
      assert.equal(code, 1, text);
      assert.ok(lines.includes(`PROBLEM  ${problems[0]}`), text);
    });
  }

  it('reports several problems at once', () => {
    const env = { ...prodEnv(), KEYCLOAK_URL: 'http://auth.example.test', CORS_ORIGINS: '*', PANTHEON_MASTER_KEYS: undefined };
    assert.deepEqual(productionProblems(env).map((p) => p.split(':')[0]).sort(), ['CORS_ORIGINS', 'KEYCLOAK_URL', 'PANTHEON_MASTER_KEYS']);
  });
});
