/**
 * What the gateway reports back: usage summaries with reasoning and prompt-cache tokens and the model names
 * clients asked for, cached tokens priced at their own rates (MODEL_PRICES, OpenRouter's catalogue), and
 * passed-through Anthropic answers that name the requested model rather than the routed one. Official SDKs
 * against the real API, fakes as the providers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { fakeProviderKey, FakeProviders, startFakeProviders } from '../support/fake-providers';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

const PRICES = {
  'anthropic/fake-echo': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'openai/fake-echo': { input: 2, output: 4 },
};

describe('gateway usage details, cache pricing and the requested model name', () => {
  let issuer: OidcIssuerHandle;
  let fakes: FakeProviders;
  let api: TestApi;
  let url: string;
  let alice: TestUser;
  let projectId: string;
  let token: string;
  const admin = adminPool();

  // Usage is written in batches: flush the API's queue first.
  const lastRow = async () =>
    (await api.flushUsage(), await admin.query(
      `select provider, model, requested_model, prompt_tokens, completion_tokens, reasoning_tokens, cache_read_tokens, cache_write_tokens,
              cost_usd::float8 as cost from usage_events where project_id = $1 order by id desc limit 1`,
      [projectId],
    )).rows[0];
  const anthropic = () => new Anthropic({ apiKey: token, baseURL: url, maxRetries: 0 });
  const near = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

  before(async () => {
    issuer = await startOidcIssuer();
    fakes = await startFakeProviders();
    api = await startTestApi(issuer, {
      ...fakes.providerEnv,
      MODEL_PRICES: JSON.stringify(PRICES),
      PROVIDER_TIMEOUT_MS: '5000',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:gw-usage`,
    });
    url = await api.listen();
    alice = await createUser(api, issuer, 'gwu-alice');
    for (const provider of ['anthropic', 'openai', 'openrouter']) {
      await api.as(alice).post('/api/user/api-keys').send({ name: provider, provider, key: fakeProviderKey(`gwu-${provider}`) }).expect(201);
    }
    projectId = (await createProject(api, alice, { name: 'Usage' })).id;
    await api.as(alice).put(`/api/projects/${projectId}/gateway`).send({
      default_model: 'anthropic/fake-echo',
      small_model: 'openai/fake-echo',
      reasoning_model: 'openrouter/fake/fake-echo',
      aliases: { 'gpt-cheap': 'openrouter/fake/fake-echo' },
    }).expect(200);
    token = (await api.as(alice).post(`/api/projects/${projectId}/tokens`).send({ name: 'usage' }).expect(201)).body.token;
  });

  after(async () => {
    await api?.close();
    await admin.query('delete from projects where owner_id = $1', [alice?.id]).catch(() => undefined);
    await fakes?.stop();
    await issuer?.stop();
    await admin.end();
  });

  describe('a passed-through Anthropic answer names the requested model', () => {
    it('plain JSON', async () => {
      await fakes.reset();
      const message = await anthropic().messages.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 64, messages: [{ role: 'user', content: 'name yourself' }] });
      const upstream = (await fakes.requests()).find((r) => r.path.startsWith('/anthropic/v1/messages'));
      assert.equal((upstream?.body as { model: string }).model, 'fake-echo', 'routing renamed it upstream');
      assert.equal(message.model, 'claude-sonnet-4-5-20250929');
      assert.equal(message.content[0]?.type === 'text' && message.content[0].text, 'echo: name yourself');
    });

    it('SSE message_start', async () => {
      const stream = anthropic().messages.stream({ model: 'claude-sonnet-4-5-20250929', max_tokens: 64, messages: [{ role: 'user', content: 'stream it' }] });
      let started: string | undefined;
      stream.on('streamEvent', (event) => {
        if (event.type === 'message_start') started = event.message.model;
      });
      const final = await stream.finalMessage();
      assert.equal(started, 'claude-sonnet-4-5-20250929');
      assert.equal(final.model, 'claude-sonnet-4-5-20250929');
      assert.equal(final.content[0]?.type === 'text' && final.content[0].text, 'echo: stream it');
      assert.equal((await lastRow()).requested_model, 'claude-sonnet-4-5-20250929');
    });
  });

  describe('cached tokens at the cached rate', () => {
    it("MODEL_PRICES' cache_read and cache_write price Anthropic's cache reads and writes", async () => {
      await anthropic().messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 64,
        system: [{ type: 'text', text: 'a long and stable system prompt', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'hello cache' }],
      });
      const row = await lastRow();
      assert.deepEqual([row.provider, row.model, row.cache_read_tokens, row.cache_write_tokens], ['anthropic', 'fake-echo', 2, 1]);
      const plain = row.prompt_tokens - 3;
      assert.ok(plain > 0);
      near(row.cost, (plain * 3 + 2 * 0.3 + 1 * 3.75 + row.completion_tokens * 15) / 1e6, 'anthropic cost');
    });

    it("OpenRouter's catalogue prices cache reads at its input_cache_read rate", async () => {
      const openai = new OpenAI({ apiKey: token, baseURL: `${url}/v1`, maxRetries: 0 });
      await openai.chat.completions.create({ model: 'gpt-cheap', messages: [{ role: 'user', content: 'this prompt was cached before' }] });
      const row = await lastRow();
      assert.deepEqual([row.provider, row.model, row.requested_model, row.cache_read_tokens], ['openrouter', 'fake/fake-echo', 'gpt-cheap', 2]);
      // The fake's catalogue: $1 per million prompt tokens, $0.10 cached, $2 per million completion tokens.
      near(row.cost, ((row.prompt_tokens - 2) * 1 + 2 * 0.1 + row.completion_tokens * 2) / 1e6, 'openrouter cost');
    });

    it('a price without cache rates charges cached tokens as input', async () => {
      const openai = new OpenAI({ apiKey: token, baseURL: `${url}/v1`, maxRetries: 0 });
      await openai.chat.completions.create({ model: 'openai/fake-echo', messages: [{ role: 'user', content: 'cached again' }] });
      const row = await lastRow();
      assert.equal(row.cache_read_tokens, 2);
      near(row.cost, (row.prompt_tokens * 2 + row.completion_tokens * 4) / 1e6, 'openai cost');
    });
  });

  describe('GET /api/user/usage', () => {
    it('sums reasoning and cache tokens per row and in the totals, and groups by the requested model', async () => {
      const openai = new OpenAI({ apiKey: token, baseURL: `${url}/v1`, maxRetries: 0 });
      // Thinking asked: the reasoning route, which reports one reasoning token.
      await openai.chat.completions.create({ model: 'gpt-4o', reasoning_effort: 'low', messages: [{ role: 'user', content: 'think' }] });
      await api.flushUsage(); // usage is written in batches
      const { rows: events } = await admin.query(
        `select requested_model, count(*)::int as requests, sum(prompt_tokens)::int as prompt, sum(completion_tokens)::int as completion,
                sum(reasoning_tokens)::int as reasoning, sum(cache_read_tokens)::int as cache_read, sum(cache_write_tokens)::int as cache_write,
                sum(cost_usd)::float8 as cost
           from usage_events where user_id = $1 group by requested_model`,
        [alice.id],
      );
      assert.ok(events.some((e) => e.reasoning > 0), 'a reasoning token was recorded');

      const byModel = (await api.as(alice).get('/api/user/usage?group_by=requested_model').expect(200)).body;
      assert.equal(byModel.group_by, 'requested_model');
      for (const e of events) {
        const row = byModel.data.find((r: { group: string | null }) => r.group === e.requested_model);
        assert.ok(row, `a row for ${e.requested_model}`);
        assert.deepEqual(
          [row.requests, row.prompt_tokens, row.completion_tokens, row.reasoning_tokens, row.cache_read_tokens, row.cache_write_tokens],
          [e.requests, e.prompt, e.completion, e.reasoning, e.cache_read, e.cache_write],
          String(e.requested_model),
        );
      }
      assert.ok(byModel.data.some((r: { group: string }) => r.group === 'gpt-cheap'));
      assert.ok(byModel.data.some((r: { group: string }) => r.group === 'claude-sonnet-4-5'));
      const sum = (k: string) => events.reduce((n, e) => n + e[k], 0);
      const { totals } = byModel;
      assert.deepEqual(
        [totals.requests, totals.prompt_tokens, totals.completion_tokens, totals.reasoning_tokens, totals.cache_read_tokens, totals.cache_write_tokens],
        [sum('requests'), sum('prompt'), sum('completion'), sum('reasoning'), sum('cache_read'), sum('cache_write')],
      );
      assert.ok(totals.cache_read_tokens >= 6 && totals.cache_write_tokens >= 1 && totals.reasoning_tokens >= 1, JSON.stringify(totals));
      near(totals.cost_usd, sum('cost'), 'total cost');

      const byProvider = (await api.as(alice).get('/api/user/usage?group_by=provider').expect(200)).body;
      assert.equal(byProvider.data.find((r: { group: string }) => r.group === 'anthropic').cache_write_tokens, totals.cache_write_tokens);
      await api.as(alice).get('/api/user/usage?group_by=nonsense').expect(400);
    });
  });
});
