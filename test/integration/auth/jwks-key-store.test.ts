import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { JwksKeyStore } from '@pantheon/auth';

/** A loopback JWKS endpoint whose keys the test sets, counting the fetches it serves. */
interface JwksServer {
  url: string;
  fetches: number;
  keys: Array<Record<string, unknown>>;
  status: number;
  close(): Promise<void>;
}

async function startJwksServer(): Promise<JwksServer> {
  const state = { fetches: 0, keys: [] as Array<Record<string, unknown>>, status: 200 };
  const server: Server = createServer((req, res) => {
    state.fetches += 1;
    res.writeHead(state.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(state.status === 200 ? { keys: state.keys } : { error: 'unavailable' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/pantheon/protocol/openid-connect/certs`;
  return Object.assign(state, {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as JwksServer;
}

function rsaJwk(kid: string, extra: Record<string, unknown> = {}): { jwk: Record<string, unknown>; publicKey: KeyObject } {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig', ...extra }, publicKey };
}

describe('JwksKeyStore (the realm signing keys the API trusts)', () => {
  let jwks: JwksServer;
  const a = rsaJwk('key-a');
  const b = rsaJwk('key-b');
  const enc = rsaJwk('key-enc', { use: 'enc', alg: 'RSA-OAEP' });

  before(async () => {
    jwks = await startJwksServer();
  });
  after(async () => {
    await jwks?.close();
  });

  function store(clock: { t: number }, ttlMs = 60_000, minRefreshMs = 10_000): JwksKeyStore {
    jwks.fetches = 0;
    return new JwksKeyStore({ url: jwks.url, cacheTtlMs: ttlMs, minRefreshMs, now: () => clock.t });
  }

  it('fetches once for many concurrent lookups and returns the published key', async () => {
    jwks.keys = [a.jwk, enc.jwk];
    const s = store({ t: 0 });
    const keys = await Promise.all(Array.from({ length: 50 }, () => s.getJWK('key-a')));
    assert.equal(jwks.fetches, 1);
    assert.ok(keys.every((k) => k.equals(a.publicKey)));
    await assert.rejects(s.getJWK('key-enc'), /no signing key/, 'encryption keys are not signing keys');
  });

  it('refreshes on an unknown kid at most once per interval, however many tokens name one', async () => {
    jwks.keys = [a.jwk];
    const clock = { t: 0 };
    const s = store(clock);
    await s.getJWK('key-a');
    clock.t = 20_000; // past the refresh interval
    const flood = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => s.getJWK(`unknown-${i}`)));
    assert.ok(flood.every((r) => r.status === 'rejected'));
    assert.equal(jwks.fetches, 2, 'one refresh for the whole flood');
    clock.t = 25_000;
    await assert.rejects(s.getJWK('unknown-again'), /no signing key/);
    assert.equal(jwks.fetches, 2, 'none within the interval');

    // A key published meanwhile is found by the next refresh that the interval allows.
    jwks.keys = [a.jwk, b.jwk];
    clock.t = 30_001;
    assert.ok((await s.getJWK('key-b')).equals(b.publicKey));
    assert.equal(jwks.fetches, 3);
  });

  it('stops trusting a removed key once the cache TTL has passed', async () => {
    jwks.keys = [a.jwk];
    const clock = { t: 0 };
    const s = store(clock, 5000, 1000);
    await s.getJWK('key-a');
    jwks.keys = [b.jwk]; // rotated: key-a removed from the realm
    clock.t = 4999;
    assert.ok((await s.getJWK('key-a')).equals(a.publicKey), 'cached until the TTL');
    assert.equal(jwks.fetches, 1);
    clock.t = 5000;
    await assert.rejects(s.getJWK('key-a'), /no signing key/);
    assert.ok((await s.getJWK('key-b')).equals(b.publicKey));
    assert.equal(jwks.fetches, 2);
  });

  it('keeps the last keys while the realm cannot be reached, retrying once per interval', async () => {
    jwks.keys = [a.jwk];
    jwks.status = 200;
    const clock = { t: 0 };
    const s = store(clock, 5000, 1000);
    await s.getJWK('key-a');
    jwks.status = 503;
    try {
      clock.t = 6000;
      assert.ok((await s.getJWK('key-a')).equals(a.publicKey));
      await s.getJWK('key-a');
      assert.equal(jwks.fetches, 2, 'one failed retry, not one per lookup');
      clock.t = 7001;
      jwks.status = 200;
      jwks.keys = [b.jwk];
      await assert.rejects(s.getJWK('key-a'), /no signing key/);
      assert.equal(jwks.fetches, 3);
    } finally {
      jwks.status = 200;
    }
  });
});
