import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { CryptoError, CryptoErrorCode, KeyRing } from '@pantheon/crypto';
import { migrate } from '@pantheon/db';
import { UserGenerations } from '@pantheon/events';
import Redis from 'ioredis';
import { revealProviderKey } from '@pantheon/api/testing';
import { rotateProviderKeys } from '@pantheon/worker/testing';
import { canaryKey, createApiKey, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool, createScratchDatabase, ScratchDatabase, testPool } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

/** Master-key rotation and fail-closed decryption, on a private database so other suites are unaffected. */
describe('master keys: rotation and wrong keys', () => {
  const root = adminPool();
  let admin: Pool;
  let db: ScratchDatabase;
  let issuer: OidcIssuerHandle;
  const v1 = KeyRing.generateSpec(1);
  const v2 = KeyRing.generateSpec(2);
  const ring12 = `${v1},${v2}`;
  const stored: { id: string; key: string; user: TestUser }[] = [];
  const apis: TestApi[] = [];

  const boot = async (masterKeys: string): Promise<TestApi> => {
    const api = await startTestApi(issuer, {
      DATABASE_URL: db.appUrl,
      DATABASE_MIGRATION_URL: db.ownerUrl,
      PANTHEON_MASTER_KEYS: masterKeys,
    });
    apis.push(api);
    return api;
  };

  before(async () => {
    db = await createScratchDatabase(root, 'rotation');
    admin = testPool(db.adminUrl, 2);
    await migrate({ connectionString: db.ownerUrl });
    issuer = await startOidcIssuer();
    const api = await boot(v1);
    for (const prefix of ['rot-a', 'rot-b']) {
      const user = await createUser(api, issuer, prefix);
      for (let i = 0; i < 4; i++) {
        const k = await createApiKey(api, user, { key: canaryKey('rot') });
        stored.push({ id: k.id, key: k.key, user });
      }
    }
  });
  after(async () => {
    for (const api of apis) await api.close().catch(() => undefined);
    await issuer?.stop();
    await admin?.end();
    await db?.drop();
    await root.end();
  });

  it('stores new keys under the current master key version', async () => {
    const { rows } = await admin.query(`select distinct key_version from provider_keys`);
    assert.deepEqual(rows.map((r) => r.key_version), [1]);
  });

  it('re-encrypts every key under the newest version while the API keeps serving', async () => {
    const api = await boot(ring12);
    const user = stored[0].user;
    let served = 0;
    let failed = 0;
    let rotating = true;
    const traffic = (async () => {
      while (rotating) {
        const res = await api.as(user).get('/api/user/api-keys');
        if (res.status === 200) served++;
        else failed++;
      }
    })();
    // The API processes' cached decrypted keys are dropped: each owner's generation moves on.
    const redis = new Redis(process.env.REDIS_URL!, { keyPrefix: `${process.env.REDIS_PREFIX}:` });
    const generations = new UserGenerations(redis, { redisPrefix: process.env.REDIS_PREFIX! });
    const owners = [...new Set(stored.map((s) => s.user.id))];
    const before = await Promise.all(owners.map((id) => generations.current(id)));
    const result = await rotateProviderKeys({ connectionString: db.workerUrl, ring: KeyRing.parse(ring12), batchSize: 3, generations });
    rotating = false;
    await traffic;
    const afterRotation = await Promise.all(owners.map((id) => generations.current(id)));
    redis.disconnect();
    owners.forEach((id, i) => assert.notEqual(afterRotation[i], before[i], `generation of ${id} moved on`));
    assert.equal(result.rotated, stored.length);
    assert.equal(result.targetVersion, 2);
    assert.ok(served > 0, 'the API answered during rotation');
    assert.equal(failed, 0);
    const { rows } = await admin.query(`select key_version, count(*)::int as n from provider_keys group by 1`);
    assert.deepEqual(rows, [{ key_version: 2, n: stored.length }]);

    // Every key still decrypts to its plaintext — with both versions configured, and with only the new one.
    for (const s of stored) assert.equal(await revealProviderKey(api.app, s.user.id, s.id), s.key);
    const onlyV2 = await boot(v2);
    for (const s of stored) assert.equal(await revealProviderKey(onlyV2.app, s.user.id, s.id), s.key);

    // Running it again is a no-op.
    const again = await rotateProviderKeys({ connectionString: db.workerUrl, ring: KeyRing.parse(ring12) });
    assert.equal(again.rotated, 0);
  });

  it('refuses to boot with a master key that does not match the database', async () => {
    const wrong = KeyRing.generateSpec(2);
    await assert.rejects(boot(`${v1},${wrong}`), (err: Error) => {
      assert.ok(err instanceof CryptoError);
      assert.equal(err.code, CryptoErrorCode.MASTER_KEY_MISMATCH);
      assert.match(err.message, /version 2 does not match/);
      assert.ok(!err.message.includes(wrong.split(':')[1]), 'the key is not in the message');
      return true;
    });
  });

  it('refuses to rotate with a wrong master key', async () => {
    await assert.rejects(
      rotateProviderKeys({ connectionString: db.workerUrl, ring: KeyRing.parse(KeyRing.generateSpec(2)) }),
      (err: Error) => err instanceof CryptoError && err.code === CryptoErrorCode.MASTER_KEY_MISMATCH,
    );
    const { rows } = await admin.query(`select distinct key_version from provider_keys`);
    assert.deepEqual(rows.map((r) => r.key_version), [2], 'nothing was rewritten');
  });

  it('fails closed when a ciphertext is decrypted with the wrong key or moved to another row', async () => {
    // Simulate a deployment whose verifier table was lost: the API boots, but decryption must still fail.
    await admin.query('delete from master_key_verifiers');
    const wrongRing = await boot(KeyRing.generateSpec(2));
    const s = stored[0];
    await assert.rejects(revealProviderKey(wrongRing.app, s.user.id, s.id), (err: Error) => {
      assert.ok(err instanceof CryptoError);
      assert.equal(err.code, CryptoErrorCode.DECRYPT_FAILED);
      return true;
    });
    // That boot recorded its (wrong) verifier; the right key is now refused at boot, as it should be.
    await assert.rejects(boot(v2), (err: Error) => err instanceof CryptoError && err.code === CryptoErrorCode.MASTER_KEY_MISMATCH);
    await admin.query('delete from master_key_verifiers');
    // A ciphertext copied onto another of the user's rows does not decrypt there (AAD binds it to its row).
    const right = await boot(v2);
    const [a, b] = stored.filter((x) => x.user === s.user);
    await admin.query('update provider_keys set ciphertext = (select ciphertext from provider_keys where id = $1) where id = $2', [a.id, b.id]);
    await assert.rejects(revealProviderKey(right.app, b.user.id, b.id), (err: Error) => err instanceof CryptoError);
    assert.equal(await revealProviderKey(right.app, a.user.id, a.id), a.key);
  });
});
