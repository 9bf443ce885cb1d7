/**
 * API_WORKERS: the production entry point (dist/apps/api/src/main.js) run as a cluster of processes behind one
 * port, as `./deploy.sh` runs it: every worker serves, metrics are summed on the one metrics port, a dead worker
 * is replaced, socket.io speaks WebSocket only (long-polling cannot stay on one process), and SIGTERM stops all.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { io } from 'socket.io-client';
import { testUsername } from '../factories';
import { ApiProcess, spawnApi } from '../support/api-process';
import { freePort } from '../support/ports';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

/** The primary's worker processes (its children) and the CPU ticks each has used. */
function workers(primary: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(Number(pid), Number(f[11]) + Number(f[12]));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

async function until<T>(what: string, fn: () => T | undefined | false, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await delay(100);
  }
}

describe('API_WORKERS: several API processes behind one port', () => {
  let issuer: OidcIssuerHandle;
  let api: ApiProcess;
  let metricsPort: number;
  let token: string;

  before(async () => {
    issuer = await startOidcIssuer();
    metricsPort = await freePort();
    api = await spawnApi('dist/apps/api/src/main.js', {
      API_WORKERS: '2',
      KEYCLOAK_URL: issuer.authServerUrl,
      KEYCLOAK_REALM: issuer.realm,
      METRICS_PORT: String(metricsPort),
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:cluster-${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'warn',
    });
    token = await issuer.token(testUsername('cluster'));
  });
  after(async () => {
    await api?.stop();
    await issuer?.stop();
  });

  it('runs two workers, and both serve requests', async () => {
    const before = workers(api.pid);
    assert.equal(before.size, 2, `workers: ${[...before.keys()]}`);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) {
          const res = await fetch(`${api.url}/api/user/me`, { headers: { authorization: `Bearer ${token}` } });
          assert.equal(res.status, 200);
          await res.arrayBuffer();
        }
      }),
    );
    const afterLoad = workers(api.pid);
    for (const [pid, ticks] of afterLoad) assert.ok(ticks > (before.get(pid) ?? 0), `worker ${pid} did no work`);
  });

  it("serves every worker's metrics, summed, on the one metrics port", async () => {
    const summed = async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('pantheon_http_request_duration_seconds_count') && l.includes('/api/user/me') && l.includes('"200"'))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    };
    // A scrape fails as a whole when a worker does not answer within prom-client's 5 s (a busy machine); a
    // scraper's next scrape is the retry, so one more is allowed here.
    let count = await summed();
    if (count === 0) count = await summed();
    assert.ok(count >= 200, `summed /api/user/me count ${count}`);
  });

  it('accepts socket.io over WebSocket and refuses long-polling with a clear 400', async () => {
    const socket = io(`${api.url}/ws`, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
    } finally {
      socket.disconnect();
    }
    const polling = await fetch(`${api.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(polling.status, 400);
    assert.match(await polling.text(), /Transport unknown/);
  });

  it('replaces a worker that dies, and keeps answering meanwhile', async () => {
    const [victim] = workers(api.pid).keys();
    process.kill(victim, 'SIGKILL');
    const replaced = await until('a new worker', () => {
      const now = workers(api.pid);
      return now.size === 2 && !now.has(victim) ? now : undefined;
    }, 20_000);
    assert.equal(replaced.size, 2);
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${api.url}/api/user/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
    }
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const pids = [...workers(api.pid).keys()];
    const code = await api.stop();
    assert.equal(code, 0);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} still running`);
  });

  it('exits non-zero when its workers cannot start', async () => {
    await assert.rejects(
      spawnApi('dist/apps/api/src/main.js', {
        API_WORKERS: '2',
        KEYCLOAK_URL: issuer.authServerUrl,
        METRICS_PORT: String(await freePort()),
        // A master key this database was not encrypted with: every worker refuses to boot.
        PANTHEON_MASTER_KEYS: `1:${Buffer.alloc(32, 7).toString('base64')}`,
      }),
      /exited with 1/,
    );
  });
});
