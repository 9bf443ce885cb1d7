/**
 * docker-compose.production.yml, `./deploy.sh env` and .env.example: validated by a real Compose implementation
 * (Debian's docker-compose) and read as the operator's files, without starting anything.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { load, YAML11_SCHEMA } from 'js-yaml';
import { envSchema } from '@pantheon/config';
import { findRepoRoot } from '../../support/oidc';

const ROOT = findRepoRoot();

interface Service {
  image: string;
  build?: unknown;
  environment?: Record<string, string>;
  env_file?: string | string[];
  networks: Record<string, { ipv4_address?: string } | null>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  mem_limit?: string;
  cpus?: string | number;
  pids_limit?: number;
  secrets?: string[];
  volumes?: string[];
  command?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  networks: Record<string, { name: string; driver_opts?: Record<string, string>; ipam: { config: { subnet: string; gateway: string; ip_range: string }[] } }>;
  secrets: Record<string, { file: string }>;
}

const composeText = readFileSync(path.join(ROOT, 'docker-compose.production.yml'), 'utf8');
// YAML 1.1 has the merge key (<<) the file's shared settings use, as Compose reads it.
const compose = load(composeText, { schema: YAML11_SCHEMA }) as ComposeFile;
const svc = (name: string): Service => compose.services[name];
const OURS = ['api', 'worker'];
const DATA = ['postgres', 'redis', 'keycloak'];

function sh(cmd: string, args: string[], cwd: string, input?: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A copy of what an operator has after cloning: the compose file, deploy.sh, .env.example and deploy/. */
function operatorDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pantheon-deploy-'));
  for (const f of ['docker-compose.production.yml', 'deploy.sh', '.env.example']) cpSync(path.join(ROOT, f), path.join(dir, f));
  cpSync(path.join(ROOT, 'deploy/keycloak'), path.join(dir, 'deploy/keycloak'), { recursive: true });
  cpSync(path.join(ROOT, 'deploy/postgres'), path.join(dir, 'deploy/postgres'), { recursive: true });
  return dir;
}

const envFile = (text: string): Map<string, string> =>
  new Map(text.split('\n').flatMap((l) => { const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l); return m ? [[m[1], m[2]] as [string, string]] : []; }));

describe('docker-compose.production.yml', () => {
  it('puts the services at the original addresses of the main network, with a dynamic range apart', () => {
    const main = compose.networks.main;
    assert.equal(main.name, 'pantheon-platform', 'the worker adopts it as PLATFORM_NETWORK');
    assert.deepEqual(main.ipam.config[0], { subnet: '10.0.1.0/24', gateway: '10.0.1.1', ip_range: '10.0.1.128/25' });
    const at = (s: string) => svc(s).networks.main?.ipv4_address;
    assert.equal(at('api'), '10.0.1.2');
    assert.equal(at('keycloak'), '10.0.1.3');
    assert.equal(at('postgres'), '10.0.1.4');
    const fixed = Object.keys(compose.services).map(at);
    assert.ok(!fixed.includes('10.0.1.5'), '.5 is reserved for the frontend');
    assert.match(composeText, /# frontend:[\s\S]*?ipv4_address: 10\.0\.1\.5/, 'a commented frontend slot at .5');
    assert.equal(new Set(fixed).size, fixed.length, 'no address is used twice');
    for (const ip of fixed) {
      assert.ok(ip, 'every service has a fixed address');
      const last = Number(ip.split('.')[3]);
      assert.ok(last > 1 && last < 128, `${ip} is outside the dynamic range .128/25`);
    }
  });

  it('keeps PostgreSQL, Redis and Keycloak off the tools network, which isolates its containers', () => {
    const tools = compose.networks.tools;
    assert.equal(tools.ipam.config[0].subnet, '10.0.2.0/24');
    assert.equal(tools.driver_opts?.['com.docker.network.bridge.enable_icc'], 'false');
    for (const s of DATA) assert.deepEqual(Object.keys(svc(s).networks), ['main'], `${s} is only on the main network`);
    assert.ok(svc('api').networks.tools, 'the API reaches tools APIs');
  });

  it('pins every image, and builds ours from the Dockerfiles under deploy/', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      assert.match(s.image, /:[^:]+$/, `${name} has a tag`);
      assert.doesNotMatch(s.image, /:latest$/, `${name} is not :latest`);
    }
    assert.match(svc('keycloak').image, /keycloak:26\.\d+\.\d+$/);
    assert.deepEqual(svc('keycloak').command, ['start', '--import-realm']);
    for (const s of OURS) assert.match(JSON.stringify(svc(s).build), /deploy\/\w+\.Dockerfile/);
  });

  it('has a healthcheck on every service, and dependencies wait for health', () => {
    for (const [name, s] of Object.entries(compose.services)) assert.ok(s.healthcheck?.test?.length, `${name} has a healthcheck`);
    assert.deepEqual(svc('api').depends_on, { postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' }, keycloak: { condition: 'service_healthy' } });
    assert.equal(svc('worker').depends_on?.api?.condition, 'service_healthy');
    assert.equal(svc('keycloak').depends_on?.postgres?.condition, 'service_healthy');
  });

  it('limits every container, forbids privilege gain, and runs ours read-only without capabilities', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      assert.ok(s.mem_limit && s.cpus && s.pids_limit, `${name} has memory, CPU and pids limits`);
      assert.ok(s.security_opt?.includes('no-new-privileges:true'), `${name}: no-new-privileges`);
    }
    for (const s of OURS) {
      assert.equal(svc(s).read_only, true);
      assert.deepEqual(svc(s).cap_drop, ['ALL']);
    }
    assert.ok(svc('worker').volumes?.some((v) => v.endsWith(':/var/run/docker.sock')), 'only the worker has the Docker socket');
    for (const s of ['api', ...DATA]) assert.ok(!JSON.stringify(svc(s).volumes ?? []).includes('docker.sock'), `${s} has no Docker socket`);
    assert.equal(svc('api').environment?.BACKEND_CONTAINER, 'pantheon-api');
    assert.equal(svc('worker').environment?.MIGRATE_ON_BOOT, 'false');
    assert.ok(!svc('worker').secrets?.includes('database_migration_url'), 'the worker never holds the owner role');
  });

  it('holds no literal secret: secrets are ${VAR} references or files under /run/secrets', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|MASTER_KEYS|_URL$/.test(key) && !/^(KC_DB_URL|KC_HOSTNAME)$/.test(key)) {
          assert.match(String(value), /^(\$\{[A-Z0-9_]+(:[-?][^}]*)?\}|\$\{CONTAINER_SECRETS_DIR:-\/run\/secrets\}\/[a-z_]+)$/, `${name}.${key} is a reference`);
        }
      }
    }
    // Nothing long and random-looking anywhere in the file.
    assert.doesNotMatch(composeText, /[A-Za-z0-9+=]{32,}/);
    for (const s of OURS) {
      const env = svc(s).environment ?? {};
      assert.ok(!('DATABASE_URL' in env) && !('REDIS_URL' in env), `${s} gets its URLs as files`);
      assert.equal(env.DATABASE_URL_FILE ?? env.DATABASE_WORKER_URL_FILE ? true : false, true);
      assert.equal(svc(s).env_file, '.env.settings', `${s} reads settings without secrets`);
    }
    for (const [name, secret] of Object.entries(compose.secrets)) assert.equal(secret.file, `./secrets/${name}`);
  });

  it('passes docker-compose validation once ./deploy.sh env has written .env and the secret files', () => {
    const dir = operatorDir();
    try {
      const env = sh('bash', ['deploy.sh', 'env'], dir);
      assert.equal(env.status, 0, env.out);
      const r = sh('docker-compose', ['-f', 'docker-compose.production.yml', 'config', '-q'], dir);
      assert.equal(r.status, 0, r.out);
      // The same check refuses a file with a misspelt key (so the pass above means something).
      writeFileSync(path.join(dir, 'broken.yml'), composeText.replace('pids_limit: 512', 'pid_limits: 512'));
      const broken = sh('docker-compose', ['-f', 'broken.yml', 'config', '-q'], dir);
      assert.notEqual(broken.status, 0);
      assert.match(broken.out, /pid_limits/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('./deploy.sh env', () => {
  let dir: string;
  before(() => {
    dir = operatorDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates .env (0600) with hex secrets and a master key, leaving external secrets empty', () => {
    const r = sh('bash', ['deploy.sh', 'env'], dir);
    assert.equal(r.status, 0, r.out);
    assert.equal(statSync(path.join(dir, '.env')).mode & 0o777, 0o600);
    const env = envFile(readFileSync(path.join(dir, '.env'), 'utf8'));
    for (const name of ['POSTGRES_PASSWORD', 'PANTHEON_DB_APP_PASSWORD', 'REDIS_PASSWORD', 'KEYCLOAK_ADMIN_PASSWORD', 'KEYCLOAK_API_CLIENT_SECRET']) {
      assert.match(env.get(name)!, /^[0-9a-f]{64}$/, name);
    }
    assert.match(env.get('PANTHEON_MASTER_KEYS')!, /^1:[A-Za-z0-9+/]{43}=$/);
    assert.equal(env.get('GOOGLE_CLIENT_SECRET'), '', 'an identity provider secret is never invented');
    const secrets = [...env.entries()].filter(([k]) => /_PASSWORD$/.test(k)).map(([, v]) => v);
    assert.equal(new Set(secrets).size, secrets.length, 'every password differs');
    assert.ok(!r.out.includes(env.get('POSTGRES_PASSWORD')!), 'no secret is printed');
  });

  it('writes the secret files (directory 0700) and .env.settings without any secret', () => {
    const env = envFile(readFileSync(path.join(dir, '.env'), 'utf8'));
    assert.equal(statSync(path.join(dir, 'secrets')).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(path.join(dir, 'secrets')).sort(), Object.keys(compose.secrets).sort());
    const url = readFileSync(path.join(dir, 'secrets/database_url'), 'utf8');
    assert.equal(url, `postgresql://pantheon_app:${env.get('PANTHEON_DB_APP_PASSWORD')}@10.0.1.4:5432/pantheon`);
    assert.match(readFileSync(path.join(dir, 'secrets/redis_conf'), 'utf8'), /^requirepass [0-9a-f]{64}\nmaxmemory-policy noeviction\n/);
    const settings = readFileSync(path.join(dir, '.env.settings'), 'utf8');
    for (const [name, value] of env) {
      if (value.length >= 32 && /PASSWORD|SECRET|MASTER_KEYS/.test(name)) assert.ok(!settings.includes(value), `${name} is not in .env.settings`);
    }
    assert.equal(envFile(settings).get('KEYCLOAK_REALM'), 'pantheon', 'settings are kept');
  });

  it('never overwrites a value that is set', () => {
    const file = path.join(dir, '.env');
    const before = readFileSync(file, 'utf8').replace(/^REDIS_PASSWORD=.*$/m, 'REDIS_PASSWORD=0123456789abcdef0123456789abcdef').replace(/^KEYCLOAK_DB_PASSWORD=.*$/m, 'KEYCLOAK_DB_PASSWORD=');
    writeFileSync(file, before);
    assert.equal(sh('bash', ['deploy.sh', 'env'], dir).status, 0);
    const after = envFile(readFileSync(file, 'utf8'));
    const was = envFile(before);
    for (const [name, value] of was) if (value !== '' && name !== 'KEYCLOAK_DB_PASSWORD') assert.equal(after.get(name), value, name);
    assert.equal(after.get('REDIS_PASSWORD'), '0123456789abcdef0123456789abcdef');
    assert.match(after.get('KEYCLOAK_DB_PASSWORD')!, /^[0-9a-f]{64}$/, 'an emptied secret is generated again');
  });
});

describe('.env.example', () => {
  const text = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
  const lines = text.split('\n');

  it('names every configuration variable of the platform', () => {
    for (const name of Object.keys(envSchema.shape)) assert.ok(new RegExp(`\\b${name}\\b`).test(text), `${name} is in .env.example`);
  });

  it('explains every variable with a comment above it, and holds no secret value', () => {
    let explained = false;
    for (const line of lines) {
      if (line.startsWith('#')) explained = true;
      else if (/^[A-Z][A-Z0-9_]*=/.test(line)) assert.ok(explained, `${line} has a comment above it`);
      else explained = false;
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m && /(_PASSWORD|_SECRET|_TOKEN|MASTER_KEYS)$/.test(m[1])) assert.equal(m[2], '', `${m[1]} is empty in the example`);
    }
    assert.ok(lines.filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l)).length > 60);
  });

  it('names every variable the compose file reads', () => {
    const used = new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    for (const name of used) assert.ok(new RegExp(`^${name}=`, 'm').test(text), `${name} (used by the compose file) is in .env.example`);
  });
});
