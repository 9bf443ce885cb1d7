import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomModel, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

describe('settings, custom models and the audit trail', () => {
  let issuer: OidcIssuerHandle;
  let api: TestApi;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    issuer = await startOidcIssuer();
    api = await startTestApi(issuer, { MAX_CUSTOM_MODELS_PER_USER: '4' });
    alice = await createUser(api, issuer, 'alice');
    bob = await createUser(api, issuer, 'bob');
  });
  after(async () => {
    await api?.close();
    await issuer?.stop();
  });

  describe('settings', () => {
    it('starts with defaults', async () => {
      const res = await api.as(alice).get('/api/user/settings').expect(200);
      assert.deepEqual(res.body, { preferred_model: null, model_parameters: {}, monthly_budget_usd: null, updated_at: null });
    });

    it('replaces the settings with PUT and returns them', async () => {
      const body = { preferred_model: 'anthropic/claude-sonnet-4', model_parameters: { temperature: 0.2, max_tokens: 2048, top_p: 0.9, stop: ['END'] } };
      const put = await api.as(alice).put('/api/user/settings').send(body).expect(200);
      assert.equal(put.body.preferred_model, body.preferred_model);
      assert.deepEqual(put.body.model_parameters, body.model_parameters);
      assert.ok(Date.parse(put.body.updated_at) > 0);
      const get = await api.as(alice).get('/api/user/settings').expect(200);
      assert.deepEqual(get.body, put.body);
      // PUT is a replacement: omitted fields go back to defaults.
      const cleared = await api.as(alice).put('/api/user/settings').send({ model_parameters: { seed: 7 } }).expect(200);
      assert.equal(cleared.body.preferred_model, null);
      assert.deepEqual(cleared.body.model_parameters, { seed: 7 });
    });

    it("is per user: bob does not see alice's settings", async () => {
      const res = await api.as(bob).get('/api/user/settings').expect(200);
      assert.equal(res.body.preferred_model, null);
    });

    it('validates parameter ranges with messages naming the field', async () => {
      const res = await api.as(alice).put('/api/user/settings').send({ model_parameters: { temperature: 2.5, top_p: -1 } }).expect(400);
      assert.match(res.body.message, /temperature/);
      assert.match(res.body.message, /top_p/);
      assert.equal(res.body.details.length, 2);
    });
  });

  describe('custom models', () => {
    it('creates, lists with pagination and deletes', async () => {
      const created = await api
        .as(alice)
        .post('/api/user/models')
        .send({ provider: 'together', model_id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', display_name: ' Llama 3.3 ', context_length: 131072, parameters: { temperature: 0.7 } })
        .expect(201);
      assert.equal(created.body.ref, 'together/meta-llama/Llama-3.3-70B-Instruct-Turbo');
      assert.equal(created.body.display_name, 'Llama 3.3', 'names are trimmed');
      assert.equal(created.body.context_length, 131072);
      assert.deepEqual(created.body.parameters, { temperature: 0.7 });
      await createCustomModel(api, alice, 'second');
      await createCustomModel(api, alice, 'third');
      const page1 = await api.as(alice).get('/api/user/models?limit=2&offset=0').expect(200);
      const page2 = await api.as(alice).get('/api/user/models?limit=2&offset=2').expect(200);
      assert.deepEqual(page1.body.page, { limit: 2, offset: 0, total: 3 });
      assert.equal(page1.body.data.length, 2);
      assert.equal(page2.body.data.length, 1);
      const ids = [...page1.body.data, ...page2.body.data].map((m: { id: string }) => m.id);
      assert.equal(new Set(ids).size, 3, 'pages do not overlap');
      await api.as(alice).delete(`/api/user/models/${created.body.id}`).expect(204);
      await api.as(alice).delete(`/api/user/models/${created.body.id}`).expect(404);
      const after = await api.as(alice).get('/api/user/models').expect(200);
      assert.equal(after.body.page.total, 2);
    });

    it('rejects a duplicate model (409) and enforces the per-user limit', async () => {
      await createCustomModel(api, bob, 'dup-model');
      const dup = await api.as(bob).post('/api/user/models').send({ provider: 'openrouter', model_id: 'dup-model', display_name: 'again' }).expect(409);
      assert.match(dup.body.message, /openrouter\/dup-model/);
      for (const id of ['b2', 'b3', 'b4']) await createCustomModel(api, bob, id);
      const over = await api.as(bob).post('/api/user/models').send({ provider: 'openrouter', model_id: 'b5', display_name: 'five' }).expect(409);
      assert.match(over.body.message, /at most 4/);
    });

    it("hides other users' models: list excludes them, delete answers 404", async () => {
      const bobs = await api.as(bob).get('/api/user/models').expect(200);
      const target = bobs.body.data[0].id;
      const alices = await api.as(alice).get('/api/user/models').expect(200);
      assert.ok(!alices.body.data.some((m: { id: string }) => m.id === target));
      await api.as(alice).delete(`/api/user/models/${target}`).expect(404);
      await api.as(alice).delete(`/api/user/models/${randomUUID()}`).expect(404);
      const still = await api.as(bob).get('/api/user/models').expect(200);
      assert.ok(still.body.data.some((m: { id: string }) => m.id === target));
    });
  });

  describe('audit trail', () => {
    it('records what the user did, newest first, with keyset pagination', async () => {
      const all = await api.as(alice).get('/api/user/audit?limit=100').expect(200);
      const actions = all.body.data.map((e: { action: string }) => e.action);
      for (const a of ['user.created', 'settings.updated', 'custom_model.created', 'custom_model.deleted']) {
        assert.ok(actions.includes(a), `${a} recorded`);
      }
      const seqs = all.body.data.map((e: { seq: string }) => Number(e.seq));
      assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
      const first = await api.as(alice).get('/api/user/audit?limit=2').expect(200);
      assert.equal(first.body.data.length, 2);
      assert.ok(first.body.next_before);
      const second = await api.as(alice).get(`/api/user/audit?limit=2&before=${first.body.next_before}`).expect(200);
      assert.equal(second.body.data[0].id, all.body.data[2].id);
      const filtered = await api.as(alice).get('/api/user/audit?action=settings.updated').expect(200);
      assert.ok(filtered.body.data.length >= 2);
      assert.ok(filtered.body.data.every((e: { action: string }) => e.action === 'settings.updated'));
    });

    it("shows only the caller's own entries", async () => {
      const res = await api.as(bob).get('/api/user/audit?limit=100').expect(200);
      assert.ok(res.body.data.length > 0);
      const aliceMe = await api.as(alice).get('/api/user/me').expect(200);
      assert.ok(!res.body.data.some((e: { target_id: string }) => e.target_id === aliceMe.body.id));
    });

    it('verifies the hash chain', async () => {
      const res = await api.as(alice).get('/api/user/audit/verify').expect(200);
      assert.equal(res.body.valid, true);
      assert.equal(res.body.first_broken_seq, null);
      assert.ok(res.body.entries >= 5);
    });
  });
});
