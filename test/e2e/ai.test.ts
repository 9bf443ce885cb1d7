import assert from 'node:assert/strict';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import Redis from 'ioredis';
import { KeyRing, toolsApiCredential } from '@pantheon/crypto';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { fakeProviderKey, FakeProviders, startFakeProviders } from '../support/fake-providers';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { eventually } from '../support/eventually';
import { startMcpServer, ToolCallRecord } from '../support/mcp-server';
import type { Server } from 'node:http';

/** A key the fake accepts, unique and easy to search for. */
const fakeKey = fakeProviderKey;

/** Parses a chat-API SSE body into [event, data] pairs. */
function parseSse(text: string): { event: string; data: any }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.+)$/m.exec(block)?.[1] ?? 'null';
      return { event, data: JSON.parse(data) };
    });
}

describe('AI: provider keys, models, chat, usage, budgets and the LLM gateway', () => {
  let issuer: OidcIssuerHandle;
  let fakes: FakeProviders;
  let api: TestApi;
  let url: string;
  let alice: TestUser;
  let bob: TestUser;
  const admin = adminPool();
  const keys: Record<string, { id: string; key: string }> = {};
  let projectId: string;
  let projectToken: string;
  let mcp: Server;
  const toolCalls: ToolCallRecord[] = [];

  before(async () => {
    issuer = await startOidcIssuer();
    fakes = await startFakeProviders();
    mcp = await startMcpServer(toolCalls);
    api = await startTestApi(issuer, {
      OPENAI_BASE_URL: fakes.baseUrls.openai,
      OPENROUTER_BASE_URL: fakes.baseUrls.openrouter,
      TOGETHER_BASE_URL: fakes.baseUrls.together,
      XAI_BASE_URL: fakes.baseUrls.xai,
      ANTHROPIC_BASE_URL: fakes.baseUrls.anthropic,
      GOOGLE_AI_BASE_URL: fakes.baseUrls.google,
      OPENROUTER_REFERER: 'https://pantheon.test',
      PROVIDER_TIMEOUT_MS: '1500',
      MODEL_PRICES: JSON.stringify({ 'openai/fake-echo': { input: 1_000_000, output: 1_000_000 } }),
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:ai`,
      // Every project's tools resolve to the stand-in MCP server on loopback.
      TOOLS_MCP_URL_TEMPLATE: `http://127.0.0.1:${(mcp.address() as AddressInfo).port}/mcp`,
    });
    url = await api.listen();
    alice = await createUser(api, issuer, 'ai-alice');
    bob = await createUser(api, issuer, 'ai-bob');
    for (const provider of ['openai', 'anthropic', 'google', 'openrouter', 'together', 'xai']) {
      const key = fakeKey(`canary-${provider}`);
      const res = await api.as(alice).post('/api/user/api-keys').send({ name: provider, provider, key }).expect(201);
      keys[provider] = { id: res.body.id, key };
    }
    // A project row for gateway tests (provisioning is not needed: the gateway only needs a live project).
    projectId = (await createProject(api, alice, { name: 'AI project' })).id;
    const t = await api.as(alice).post(`/api/projects/${projectId}/tokens`).send({ name: 'sdk-tests' }).expect(201);
    projectToken = t.body.token;
  });

  after(async () => {
    await api?.close();
    await fakes?.stop();
    await new Promise((r) => mcp?.close(r));
    await issuer?.stop();
    await admin.end();
  });

  describe('key test and providers', () => {
    it('tests every provider family with a cheap call and stores the result', async () => {
      for (const provider of Object.keys(keys)) {
        const res = await api.as(alice).post(`/api/user/api-keys/${keys[provider].id}/test`).expect(200);
        assert.equal(res.body.ok, true, `${provider}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.provider, provider);
        assert.ok(Date.parse(res.body.checked_at) > 0);
      }
      const list = await api.as(alice).get('/api/user/api-keys').expect(200);
      assert.ok(list.body.data.every((k: { last_test_ok: boolean }) => k.last_test_ok === true));
    });

    it('reports a bad key as ok:false naming the provider, without the key', async () => {
      const bad = fakeKey('bad');
      const created = await api.as(bob).post('/api/user/api-keys').send({ name: 'bad', provider: 'anthropic', key: bad }).expect(201);
      const res = await api.as(bob).post(`/api/user/api-keys/${created.body.id}/test`).expect(200);
      assert.equal(res.body.ok, false);
      assert.match(res.body.error, /anthropic/);
      assert.ok(!JSON.stringify(res.body).includes(bad));
    });

    it('lists providers with has_key and the last test for the caller only', async () => {
      const a = await api.as(alice).get('/api/providers').expect(200);
      const openai = a.body.find((p: { id: string }) => p.id === 'openai');
      assert.equal(openai.has_key, true);
      assert.equal(openai.last_test_ok, true);
      assert.equal(a.body.find((p: { id: string }) => p.id === 'custom').has_key, false);
      const b = await api.as(bob).get('/api/providers').expect(200);
      assert.equal(b.body.find((p: { id: string }) => p.id === 'openai').has_key, false);
    });
  });

  describe('models', () => {
    it('merges provider lists with custom models, caching provider lists in Redis', async () => {
      await api.as(alice).post('/api/user/models').send({ provider: 'custom', model_id: 'my-local-llm', display_name: 'Local' }).expect(201);
      await fakes.reset();
      const first = await api.as(alice).get('/api/models').expect(200);
      const ids = first.body.data.map((m: { id: string }) => m.id);
      assert.ok(ids.includes('openai/fake-echo'), ids.join(','));
      assert.ok(ids.some((id: string) => id.startsWith('anthropic/')));
      assert.ok(ids.some((id: string) => id.startsWith('google/')));
      assert.ok(ids.includes('custom/my-local-llm'));
      assert.deepEqual(first.body.errors, []);
      const calls = (await fakes.requests()).filter((r) => r.path.endsWith('/models'));
      await api.as(alice).get('/api/models').expect(200);
      const again = (await fakes.requests()).filter((r) => r.path.endsWith('/models'));
      assert.equal(again.length, calls.length, 'the second listing came from the cache');
      const redis = new Redis(process.env.REDIS_URL!);
      try {
        const cached = await redis.keys(`${api.config.REDIS_PREFIX}:models:${alice.id}:*`);
        assert.ok(cached.length >= 3);
        for (const k of cached) assert.ok(!(await redis.get(k))!.includes('fk-'), 'no key in the cache');
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('chat', () => {
    it('answers as JSON with usage, records usage rows matching the provider counts, and saves history', async () => {
      const res = await api.as(alice).post('/api/chat').send({ model: 'openai/fake-echo', message: 'hello there friend' }).expect(200);
      assert.equal(res.body.message.content, 'echo: hello there friend');
      assert.equal(res.body.stop_reason, 'end');
      assert.deepEqual(res.body.usage, { prompt_tokens: 3, completion_tokens: 4 });
      await api.flushUsage();
      const { rows } = await admin.query(
        `select provider, model, source, status, prompt_tokens, completion_tokens, key_id::text from usage_events where user_id = $1 and source = 'chat' order by id desc limit 1`,
        [alice.id],
      );
      assert.deepEqual(rows[0], { provider: 'openai', model: 'fake-echo', source: 'chat', status: 'ok', prompt_tokens: 3, completion_tokens: 4, key_id: keys.openai.id });
      const history = await api.as(alice).get('/api/chat/history').expect(200);
      assert.deepEqual(history.body.data.slice(0, 2).map((m: { role: string; content: string }) => [m.role, m.content]), [
        ['assistant', 'echo: hello there friend'],
        ['user', 'hello there friend'],
      ]);
      const key = await api.as(alice).get('/api/user/api-keys').expect(200);
      assert.ok(key.body.data.find((k: { id: string }) => k.id === keys.openai.id).last_used_at);
    });

    for (const [provider, model] of [['anthropic', 'fake-echo'], ['google', 'fake-echo'], ['openrouter', 'openai/fake-echo'], ['together', 'fake-echo'], ['xai', 'fake-echo']] as const) {
      it(`streams ${provider} tokens as SSE, in order, ending with done`, async () => {
        const res = await api.as(alice).post('/api/chat').set('Accept', 'text/event-stream')
          .send({ model: `${provider}/${model}`, messages: [{ role: 'user', content: 'one two three four five' }] }).expect(200);
        assert.match(res.headers['content-type'], /text\/event-stream/);
        const events = parseSse(res.text);
        const deltas = events.filter((e) => e.event === 'delta').map((e) => e.data.text);
        assert.ok(deltas.length > 1, 'several chunks');
        assert.equal(deltas.join(''), 'echo: one two three four five');
        const done = events[events.length - 1];
        assert.equal(done.event, 'done');
        assert.equal(done.data.usage.prompt_tokens, 5);
        assert.equal(done.data.usage.completion_tokens, 6);
      });
    }

    it('maps upstream failures to clear errors naming the provider', async () => {
      const cases: [string, number, RegExp][] = [
        ['openai/fake-429', 429, /openai/],
        ['anthropic/fake-500', 502, /anthropic/],
        ['google/does-not-exist', 404, /google/],
        ['openai/fake-slow', 504, /openai/],
      ];
      for (const [model, status, pattern] of cases) {
        const res = await api.as(alice).post('/api/chat').send({ model, message: 'hi' });
        assert.equal(res.status, status, `${model}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.message, pattern);
        for (const k of Object.values(keys)) assert.ok(!res.text.includes(k.key));
      }
      const noKey = await api.as(bob).post('/api/chat').send({ model: 'openai/fake-echo', message: 'hi' });
      assert.equal(noKey.status, 400);
      assert.match(noKey.body.message, /No usable openai API key/);
    });

    it('aborts the upstream request when the client disconnects', async () => {
      await fakes.reset();
      const controller = new AbortController();
      const response = await fetch(`${url}/api/chat`, {
        method: 'POST',
        headers: { ...api.as(alice).headers, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ model: 'openai/fake-long', message: 'go' }),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      const upstream = await fakes.waitForRequest((r) => r.path.endsWith('/chat/completions') && r.aborted, 10_000);
      assert.equal(upstream.aborted, true);
      await eventually(async () => {
        const { rows } = await admin.query(`select status from usage_events where user_id = $1 and model = 'fake-long'`, [alice.id]);
        return rows[0]?.status === 'aborted' ? true : undefined;
      }, 10_000, 'aborted usage row');
    });

    it('sends earlier history as context with a single message, and deletes history only with confirmation', async () => {
      await fakes.reset();
      await api.as(alice).post('/api/chat').send({ model: 'openai/fake-echo', message: 'remember me', project_id: projectId }).expect(200);
      await api.as(alice).post('/api/chat').send({ model: 'openai/fake-echo', message: 'second', project_id: projectId }).expect(200);
      const sent = (await fakes.requests()).filter((r) => r.path.endsWith('/chat/completions')).pop()!;
      const contents = (sent.body as { messages: { content: string }[] }).messages.map((m) => m.content);
      assert.deepEqual(contents, ['remember me', 'echo: remember me', 'second']);
      const perProject = await api.as(alice).get(`/api/chat/history?project_id=${projectId}`).expect(200);
      assert.equal(perProject.body.page.total, 4);
      await api.as(alice).delete(`/api/chat/history?project_id=${projectId}`).expect(409);
      const del = await api.as(alice).delete(`/api/chat/history?project_id=${projectId}&confirm=delete`).expect(200);
      assert.equal(del.body.deleted, 4);
      const bobs = await api.as(bob).get('/api/chat/history').expect(200);
      assert.equal(bobs.body.page.total, 0, "bob sees none of alice's history");
    });
  });

  it("runs the project's MCP tools in a chat until the model answers (tool loop)", async () => {
    const refused = await api.as(alice).post('/api/chat').send({ model: 'openai/fake-tool', message: 'weather?', use_project_tools: true, project_id: projectId });
    assert.equal(refused.status, 409, 'the project is not running yet');
    await admin.query(`update projects set status = 'running' where id = $1`, [projectId]);
    toolCalls.length = 0;
    const res = await api.as(alice).post('/api/chat').send({ model: 'openai/fake-tool', message: 'weather?', use_project_tools: true, project_id: projectId }).expect(200);
    assert.equal(res.body.message.content, 'tool said: sunny in Paris');
    assert.deepEqual(toolCalls.map((c) => c.args), [{ city: 'Paris' }]);
    // The tools API requires the project's credential (derived from the master key, never stored).
    const credential = toolsApiCredential(KeyRing.parse(process.env.PANTHEON_MASTER_KEYS!), projectId);
    assert.deepEqual(toolCalls.map((c) => c.auth), [`Bearer ${credential}`]);
    const noProject = await api.as(alice).post('/api/chat').send({ model: 'openai/fake-tool', message: 'x', use_project_tools: true });
    assert.equal(noProject.status, 400);
  });

  describe('usage and budgets', () => {
    it('summarizes usage by model, provider, project and day', async () => {
      await api.flushUsage();
      const byModel = await api.as(alice).get('/api/user/usage?group_by=model').expect(200);
      const echo = byModel.body.data.find((r: { group: string }) => r.group === 'openai/fake-echo');
      assert.ok(echo.requests >= 3);
      assert.ok(echo.prompt_tokens > 0 && echo.completion_tokens > 0);
      assert.ok(echo.cost_usd > 0, 'priced models get a cost');
      const byProject = await api.as(alice).get('/api/user/usage?group_by=project').expect(200);
      assert.ok(byProject.body.data.some((r: { group: string }) => r.group === projectId));
      const byDay = await api.as(alice).get('/api/user/usage?group_by=day').expect(200);
      assert.match(byDay.body.data[0].group, /^\d{4}-\d{2}-\d{2}$/);
      await api.as(alice).get('/api/user/usage?from=2026-02-01&to=2026-01-01').expect(400);
    });

    it('enforces the monthly budget (402) and the project token budget (429) before calling the provider', async () => {
      await api.as(alice).put('/api/user/settings').send({ monthly_budget_usd: 0.5 }).expect(200);
      await fakes.reset();
      const over = await api.as(alice).post('/api/chat').send({ model: 'openai/fake-echo', message: 'hi' });
      assert.equal(over.status, 402);
      assert.match(over.body.message, /Monthly budget of \$0\.50 reached/);
      assert.equal((await fakes.requests()).filter((r) => r.path.endsWith('/chat/completions')).length, 0, 'nothing was sent upstream');
      await api.as(alice).put('/api/user/settings').send({}).expect(200);

      await api.as(alice).put(`/api/projects/${projectId}/budget`).send({ token_budget: 1 }).expect(200);
      const client = new OpenAI({ apiKey: projectToken, baseURL: `${url}/v1`, maxRetries: 0 });
      await assert.rejects(client.chat.completions.create({ model: 'openai/fake-echo', messages: [{ role: 'user', content: 'hi' }] }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.RateLimitError);
        return true;
      });
      await api.as(alice).put(`/api/projects/${projectId}/budget`).send({ token_budget: null }).expect(200);
    });
  });

  describe('LLM gateway (project token)', () => {
    it('serves the official openai SDK, streaming and not, with usage counted for the project', async () => {
      const client = new OpenAI({ apiKey: projectToken, baseURL: `${url}/v1`, maxRetries: 0 });
      const models = await client.models.list();
      assert.ok(models.data.some((m) => m.id === 'anthropic/fake-echo'));
      const done = await client.chat.completions.create({ model: 'openai/fake-echo', messages: [{ role: 'user', content: 'via gateway' }] });
      assert.equal(done.choices[0].message.content, 'echo: via gateway');
      assert.equal(done.usage?.prompt_tokens, 2);
      const stream = await client.chat.completions.create({ model: 'anthropic/fake-echo', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'streamed through' }] });
      let text = '';
      let usage;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(text, 'echo: streamed through');
      assert.equal(usage?.completion_tokens, 3);
      await api.flushUsage();
      const { rows } = await admin.query(`select count(*)::int as n from usage_events where project_id = $1 and source = 'gateway' and status = 'ok'`, [projectId]);
      assert.ok(rows[0].n >= 2);
    });

    it('serves the official Anthropic SDK from an OpenAI-format provider, preserving text, tool calls and stop reasons', async () => {
      const client = new Anthropic({ apiKey: projectToken, baseURL: url, maxRetries: 0 });
      const msg = await client.messages.create({ model: 'openai/fake-echo', max_tokens: 100, messages: [{ role: 'user', content: 'across formats' }] });
      assert.equal(msg.content[0].type === 'text' && msg.content[0].text, 'echo: across formats');
      assert.equal(msg.stop_reason, 'end_turn');
      const tools = [{ name: 'get_weather', description: 'weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }];
      const call = await client.messages.create({ model: 'openai/fake-tool', max_tokens: 100, tools, messages: [{ role: 'user', content: 'weather?' }] });
      assert.equal(call.stop_reason, 'tool_use');
      const use = call.content.find((b) => b.type === 'tool_use');
      assert.ok(use && use.type === 'tool_use');
      assert.equal(use.name, 'get_weather');
      assert.deepEqual(use.input, { city: 'Paris' });
      const answer = await client.messages.create({
        model: 'openai/fake-tool', max_tokens: 100, tools,
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: call.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] },
        ],
      });
      assert.equal(answer.content[0].type === 'text' && answer.content[0].text, 'tool said: sunny');
      const stream = client.messages.stream({ model: 'openai/fake-tool', max_tokens: 100, tools, messages: [{ role: 'user', content: 'weather?' }] });
      const final = await stream.finalMessage();
      assert.equal(final.stop_reason, 'tool_use');
      const streamedUse = final.content.find((b) => b.type === 'tool_use');
      assert.deepEqual(streamedUse && streamedUse.type === 'tool_use' && streamedUse.input, { city: 'Paris' });
    });

    it('serves the openai SDK from an Anthropic-format provider, with tool calls', async () => {
      const client = new OpenAI({ apiKey: projectToken, baseURL: `${url}/v1`, maxRetries: 0 });
      const res = await client.chat.completions.create({
        model: 'anthropic/fake-tool',
        messages: [{ role: 'user', content: 'weather?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      });
      assert.equal(res.choices[0].finish_reason, 'tool_calls');
      const call = res.choices[0].message.tool_calls?.[0];
      assert.equal(call?.type === 'function' && call.function.name, 'get_weather');
      assert.deepEqual(call?.type === 'function' && JSON.parse(call.function.arguments), { city: 'Paris' });
    });

    it('refuses expired, revoked, unknown and other-project tokens', async () => {
      const call = (token: string, headers: Record<string, string> = {}) =>
        fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ model: 'openai/fake-echo', messages: [{ role: 'user', content: 'x' }] }),
        });
      assert.equal((await call('pt_' + 'a'.repeat(43))).status, 401, 'unknown');
      assert.equal((await call('not-a-token')).status, 401, 'malformed');
      const issued = await api.as(alice).post(`/api/projects/${projectId}/tokens`).send({ name: 'short' }).expect(201);
      assert.equal((await call(issued.body.token)).status, 200);
      await api.as(alice).delete(`/api/projects/${projectId}/tokens/${issued.body.id}`).expect(204);
      assert.equal((await call(issued.body.token)).status, 401, 'revoked');
      const expiring = await api.as(alice).post(`/api/projects/${projectId}/tokens`).send({ name: 'expired' }).expect(201);
      await admin.query(`update project_tokens set expires_at = now() - interval '1 second' where id = $1`, [expiring.body.id]);
      assert.equal((await call(expiring.body.token)).status, 401, 'expired');
      const other = await createProject(api, alice, { name: 'Other' });
      const mismatch = await call(projectToken, { 'x-pantheon-project': other.id });
      assert.equal(mismatch.status, 403, "a token cannot act for another project");
      const anthropic = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'pt_' + 'b'.repeat(43), 'content-type': 'application/json' }, body: '{}' });
      const body = (await anthropic.json()) as { type: string; error: { type: string } };
      assert.equal(anthropic.status, 401);
      assert.deepEqual([body.type, body.error.type], ['error', 'authentication_error'], 'Anthropic error shape on /v1/messages');
    });
  });

  it('never lets a planted key out: responses, logs, Redis, DB plaintext; upstream sees it only in the auth header', async () => {
    const all = await fakes.requests();
    assert.ok(all.length > 0);
    const secrets = Object.values(keys).map((k) => k.key);
    for (const r of all) {
      for (const [name, value] of Object.entries(r.headers)) {
        const holds = secrets.some((s) => String(value).includes(s));
        if (holds) assert.ok(['authorization', 'x-api-key', 'x-goog-api-key'].includes(name), `key in header ${name}`);
      }
      const rest = JSON.stringify({ body: r.body, path: r.path });
      for (const s of secrets) assert.ok(!rest.includes(s), `key in the upstream ${r.path} body or path`);
    }
    for (const line of api.logs) for (const s of secrets) assert.ok(!line.includes(s), 'key in a log line');
    const { rows: cols } = await admin.query(
      `select table_name, column_name, data_type from information_schema.columns where table_schema = 'public' and data_type in ('text','jsonb','bytea')`,
    );
    for (const c of cols) {
      const expr = c.data_type === 'bytea' ? `encode("${c.column_name}", 'escape')` : `"${c.column_name}"::text`;
      for (const s of secrets) {
        const { rows } = await admin.query(`select count(*)::int as n from "${c.table_name}" where ${expr} like '%' || $1 || '%'`, [s]);
        assert.equal(rows[0].n, 0, `${c.table_name}.${c.column_name}`);
      }
    }
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      for (const k of await redis.keys(`${api.config.REDIS_PREFIX}:*`)) {
        const value = (await redis.type(k)) === 'string' ? await redis.get(k) : JSON.stringify(await redis.dump(k));
        for (const s of secrets) assert.ok(!String(value).includes(s), `redis ${k}`);
      }
    } finally {
      redis.disconnect();
    }
  });
});
