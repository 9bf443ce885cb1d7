import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { fakeProviderKey, FakeProviders, RecordedRequest, startFakeProviders } from '../support/fake-providers';
import { findRepoRoot, OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

/** The agent-request corpus (test/fixtures/agent-requests, made by its generate.mjs). */
function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(path.join(findRepoRoot(), 'test', 'fixtures', 'agent-requests', name), 'utf8'));
}

/** Parses an SSE body into [event, data] pairs. */
function parseSse(text: string): { event: string; data: any }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => ({ event: /^event: (.+)$/m.exec(block)?.[1] ?? 'message', data: JSON.parse(/^data: (.+)$/m.exec(block)?.[1] ?? 'null') }));
}

/** The text an Anthropic message (or its stream) carries. */
function textOf(message: { content: { type: string; text?: string }[] }): string {
  return message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
}

function textOfStream(events: { event: string; data: any }[]): string {
  return events.filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'text_delta').map((e) => e.data.delta.text).join('');
}

const BETAS = 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,mid-conversation-system-2025-01-01,effort-2025-11-24';

/** Every family the corpus is replayed against, with what its fake sees of the request. */
const FAMILIES = ['anthropic', 'openai', 'openrouter', 'google'] as const;

describe('LLM gateway: Anthropic Messages as current coding agents send them', () => {
  let issuer: OidcIssuerHandle;
  let fakes: FakeProviders;
  let api: TestApi;
  let url: string;
  let alice: TestUser;
  let bob: TestUser;
  let projectId: string;
  let projectToken: string;
  const keys: Record<string, string> = {};
  const admin = adminPool();

  before(async () => {
    issuer = await startOidcIssuer();
    fakes = await startFakeProviders();
    api = await startTestApi(issuer, {
      ...fakes.providerEnv,
      PROVIDER_TIMEOUT_MS: '5000',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:gw-agents`,
    });
    url = await api.listen();
    alice = await createUser(api, issuer, 'gw-alice');
    bob = await createUser(api, issuer, 'gw-bob');
    for (const provider of FAMILIES) {
      keys[provider] = fakeProviderKey(`gw-${provider}`);
      await api.as(alice).post('/api/user/api-keys').send({ name: provider, provider, key: keys[provider] }).expect(201);
    }
    projectId = (await createProject(api, alice, { name: 'Agents' })).id;
    projectToken = (await api.as(alice).post(`/api/projects/${projectId}/tokens`).send({ name: 'agent' }).expect(201)).body.token;
  });

  after(async () => {
    await api?.close();
    await fakes?.stop();
    await issuer?.stop();
    await admin.end();
  });

  /** POST /v1/messages?beta=true the way Claude Code sends it. */
  const send = (body: unknown, pathAndQuery = '/v1/messages?beta=true') =>
    fetch(`${url}${pathAndQuery}`, {
      method: 'POST',
      headers: { 'x-api-key': projectToken, 'anthropic-version': '2023-06-01', 'anthropic-beta': BETAS, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const lastUpstream = async (family: string): Promise<RecordedRequest> => {
    const all = (await fakes.requests()).filter((r) => r.family === family && r.method === 'POST');
    assert.ok(all.length > 0, `no request reached the ${family} fake`);
    return all[all.length - 1]!;
  };

  it('answers the HEAD / probe with 200 and no credentials', async () => {
    const res = await fetch(`${url}/`, { method: 'HEAD' });
    assert.equal(res.status, 200);
  });

  it('keeps the REST API strict (depth 8, 100kb) while the gateway takes deep, large bodies', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 12; i++) deep = { a: deep };
    const rest = await api.as(alice).put('/api/user/settings').send({ model_parameters: deep });
    assert.equal(rest.status, 400);
    assert.match(JSON.stringify(rest.body), /nested too deeply \(max depth 8\)/);
    const big = await api.as(alice).put('/api/user/settings').send({ preferred_model: 'x'.repeat(200_000) });
    assert.equal(big.status, 413);

    // 5 MB of image through the gateway: far beyond the REST limit, well within the gateway's.
    const image = fixture('image-and-document.json');
    const padded = structuredClone(image);
    padded.model = 'anthropic/fake-echo';
    padded.messages[0].content.push({ type: 'text', text: 'pad '.repeat(1_300_000) });
    const res = await send(padded);
    assert.equal(res.status, 200, await res.clone().text());

    const tooBig = await send({ model: 'anthropic/fake-echo', max_tokens: 5, messages: [{ role: 'user', content: 'x'.repeat(33 * 1024 * 1024) }] });
    assert.equal(tooBig.status, 413);
    const error = (await tooBig.json()) as { type: string; error: { type: string; message: string } };
    assert.deepEqual([error.type, error.error.type], ['error', 'request_too_large']);
    assert.match(error.error.message, /limit 32mb/);
  });

  for (const family of FAMILIES) {
    it(`replays the Claude Code first request (streaming and not) against the ${family} fake, answering in Anthropic's format`, async () => {
      const corpus = fixture('claude-code-first.json');
      const model = `${family}/fake-echo`;
      await fakes.reset();

      const streamed = await send({ ...corpus, model });
      assert.equal(streamed.status, 200, await streamed.clone().text());
      assert.match(streamed.headers.get('content-type') ?? '', /text\/event-stream/);
      const events = parseSse(await streamed.text());
      assert.equal(events[0]?.event, 'message_start');
      assert.equal(events[events.length - 1]?.event, 'message_stop');
      assert.equal(textOfStream(events), 'echo: Now run the tests please');
      const delta = events.find((e) => e.event === 'message_delta');
      assert.equal(delta?.data.delta.stop_reason, 'end_turn');
      assert.ok(delta?.data.usage.output_tokens > 0);

      const upstream = await lastUpstream(family);
      const body = upstream.body as Record<string, any>;
      const seen = JSON.stringify(body);
      assert.ok(!seen.includes(projectToken) && !JSON.stringify(upstream.headers).includes(projectToken), 'the project token never goes upstream');
      if (family === 'anthropic') {
        // Pass-through: the body as the client sent it, only the model swapped; betas and the query go along.
        assert.deepEqual(body, { ...corpus, model: 'fake-echo' });
        assert.match(upstream.path, /^\/anthropic\/v1\/messages\?beta=true$/);
        assert.equal(upstream.headers['anthropic-beta'], BETAS);
        assert.ok([upstream.headers['x-api-key'], upstream.headers.authorization].some((v) => String(v).includes(keys.anthropic!)), 'the owner key, not the token');
        assert.equal(upstream.headers['anthropic-version'], '2023-06-01', "the client's API version, not the SDK's default");
      } else if (family === 'google') {
        assert.equal(body.tools[0].functionDeclarations.length, 24);
        const system = body.systemInstruction.parts.map((p: { text: string }) => p.text).join('\n');
        assert.match(system, /Claude Code/);
        assert.match(system, /working directory is now \/repo\/src/, 'the mid-conversation system message is hoisted');
        assert.ok(!seen.includes('signature') && !seen.includes('cache_control') && !seen.includes('context_management'));
      } else {
        assert.equal(body.tools.length, 24);
        const roles = body.messages.map((m: { role: string }) => m.role);
        assert.deepEqual(roles, ['system', 'user', 'assistant', 'tool', 'system', 'user'], 'the system message stays where the client put it');
        assert.match(body.messages[4].content, /working directory is now \/repo\/src/);
        assert.equal(body.user, corpus.metadata.user_id);
        assert.equal(body.stream_options?.include_usage, true);
        assert.ok(!seen.includes('EqQBCkYI') && !seen.includes('cache_control') && !seen.includes('context_management') && !seen.includes('redacted'));
        // Only OpenRouter takes a reasoning ask for any model; plain OpenAI would reject it for non-reasoning models.
        if (family === 'openrouter') assert.deepEqual(body.reasoning, { effort: 'high' });
        else assert.equal(body.reasoning, undefined);
      }

      const plain = await send({ ...corpus, model, stream: false });
      assert.equal(plain.status, 200);
      const message = (await plain.json()) as { type: string; role: string; content: { type: string; text?: string }[]; stop_reason: string; usage: { input_tokens: number } };
      assert.deepEqual([message.type, message.role, message.stop_reason], ['message', 'assistant', 'end_turn']);
      assert.equal(textOf(message), 'echo: Now run the tests please');
      assert.ok(message.usage.input_tokens > 0);
    });

    it(`replays the image and document request against the ${family} fake`, async () => {
      const res = await send({ ...fixture('image-and-document.json'), model: `${family}/fake-screenshot` });
      assert.equal(res.status, 200, await res.clone().text());
      const message = (await res.json()) as { content: { type: string; text?: string }[] };
      assert.equal(textOf(message), 'I see image/png 64x48, application/pdf (not a PNG)');
    });
  }

  it('round-trips thinking signatures to Anthropic through the official SDK, with betas, and records usage', async () => {
    const client = new Anthropic({ apiKey: projectToken, baseURL: url, maxRetries: 0 });
    await fakes.reset();
    const history = [
      { role: 'user' as const, content: 'first' },
      {
        role: 'assistant' as const,
        content: [
          { type: 'thinking' as const, thinking: 'let me think', signature: 'sig-ABC/123+==' },
          { type: 'redacted_thinking' as const, data: 'opaque-data' },
          { type: 'text' as const, text: 'answer' },
        ],
      },
      { role: 'user' as const, content: 'second' },
    ];
    const message = await client.beta.messages.create({
      model: 'anthropic/fake-echo',
      max_tokens: 2000,
      betas: ['interleaved-thinking-2025-05-14'],
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: history,
    });
    assert.equal(textOf(message as never), 'echo: second');
    const upstream = await lastUpstream('anthropic');
    const body = upstream.body as { messages: unknown[]; thinking: unknown };
    assert.deepEqual(body.messages, history, 'thinking blocks and signatures arrive unchanged');
    assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 1024 });
    assert.equal(upstream.headers['anthropic-beta'], 'interleaved-thinking-2025-05-14');

    const stream = client.messages.stream({ model: 'anthropic/fake-echo', max_tokens: 100, messages: [{ role: 'user', content: 'stream me please' }] });
    const final = await stream.finalMessage();
    assert.equal(textOf(final), 'echo: stream me please');
    await api.flushUsage();
    const { rows } = await admin.query(
      `select prompt_tokens, completion_tokens from usage_events where project_id = $1 and provider = 'anthropic' and status = 'ok' order by created_at desc limit 1`,
      [projectId],
    );
    assert.deepEqual(rows[0], { prompt_tokens: 3, completion_tokens: 4 }, 'usage read from message_start and message_delta');
  });

  it('counts tokens: passed through to Anthropic, estimated for other families', async () => {
    const client = new Anthropic({ apiKey: projectToken, baseURL: url, maxRetries: 0 });
    const counted = await client.messages.countTokens({ model: 'anthropic/fake-echo', system: 'one two', messages: [{ role: 'user', content: 'three four five' }] });
    assert.equal(counted.input_tokens, 5, 'the fake counts words');
    const upstream = await lastUpstream('anthropic');
    assert.match(upstream.path, /\/v1\/messages\/count_tokens$/);
    const corpus = fixture('claude-code-first.json');
    const estimated = await send({ ...corpus, model: 'openai/fake-echo', max_tokens: undefined, stream: undefined }, '/v1/messages/count_tokens?beta=true');
    assert.equal(estimated.status, 200);
    const { input_tokens } = (await estimated.json()) as { input_tokens: number };
    assert.ok(input_tokens > 10_000, `an estimate from the text and the tool schemas (${input_tokens})`);
  });

  it("answers errors in Anthropic's shapes, so the SDK raises its own classes", async () => {
    const client = new Anthropic({ apiKey: projectToken, baseURL: url, maxRetries: 0 });
    await assert.rejects(
      client.messages.create({ model: 'anthropic/no-such-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof Anthropic.NotFoundError && (err.error as { error: { type: string } }).error.type === 'not_found_error',
    );
    await assert.rejects(
      client.messages.create({ model: 'openai/fake-echo', messages: [{ role: 'user', content: 'x' }] } as never),
      (err: unknown) => err instanceof Anthropic.BadRequestError && /max_tokens/.test((err as Error).message),
    );
    const bad = await send('{not json');
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
    const count = await send('{}', '/v1/messages/count_tokens');
    assert.equal(((await count.json()) as { type: string }).type, 'error');
  });

  describe('per-project model routing', () => {
    const routes = {
      default_model: 'openai/fake-echo',
      reasoning_model: 'anthropic/fake-echo',
      small_model: 'google/fake-echo',
      aliases: { 'claude-opus-4-1': 'openrouter/fake-echo', 'my-tools': 'openai/fake-tool' },
    };
    const lastUsage = async () => {
      await api.flushUsage();
      return (await admin.query(`select provider, model, requested_model from usage_events where project_id = $1 order by id desc limit 1`, [projectId])).rows[0];
    };

    it('stores the routing table per project, validated, for its owner only', async () => {
      const empty = await api.as(alice).get(`/api/projects/${projectId}/gateway`).expect(200);
      assert.deepEqual(empty.body, { project_id: projectId, default_model: null, reasoning_model: null, small_model: null, aliases: {}, updated_at: null });
      await api.as(alice).put(`/api/projects/${projectId}/gateway`).send({ ...routes, default_model: 'gpt-4o' }).expect(400);
      await api.as(alice).put(`/api/projects/${projectId}/gateway`).send({ ...routes, aliases: { x: 'not a ref' } }).expect(400);
      await api.as(alice).put(`/api/projects/${projectId}/gateway`).send({ ...routes, extra: 1 }).expect(400);
      const saved = await api.as(alice).put(`/api/projects/${projectId}/gateway`).send(routes).expect(200);
      assert.deepEqual({ ...saved.body, updated_at: undefined }, { project_id: projectId, ...routes, updated_at: undefined });
      const read = await api.as(alice).get(`/api/projects/${projectId}/gateway`).expect(200);
      assert.deepEqual(read.body.aliases, routes.aliases);
      await api.as(bob).get(`/api/projects/${projectId}/gateway`).expect(404);
      await api.as(bob).put(`/api/projects/${projectId}/gateway`).send(routes).expect(404);
    });

    it("routes a coding agent's model names: alias, small for haiku, reasoning when thinking, default; recorded in usage", async () => {
      const corpus = fixture('claude-code-first.json');
      // claude-sonnet-… with adaptive thinking → reasoning_model (an Anthropic upstream: passed through).
      await fakes.reset();
      const thinking = await send({ ...corpus, stream: false });
      assert.equal(thinking.status, 200, await thinking.clone().text());
      assert.equal(textOf((await thinking.json()) as never), 'echo: Now run the tests please');
      assert.equal(((await lastUpstream('anthropic')).body as { model: string }).model, 'fake-echo');
      assert.deepEqual(await lastUsage(), { provider: 'anthropic', model: 'fake-echo', requested_model: corpus.model });

      const client = new Anthropic({ apiKey: projectToken, baseURL: url, maxRetries: 0 });
      const haiku = await client.messages.create({ model: 'claude-haiku-4-5-20251001', max_tokens: 50, messages: [{ role: 'user', content: 'title please' }] });
      assert.equal(textOf(haiku as never), 'echo: title please');
      assert.deepEqual(await lastUsage(), { provider: 'google', model: 'fake-echo', requested_model: 'claude-haiku-4-5-20251001' });

      const opus = await client.messages.create({ model: 'claude-opus-4-1-20250805', max_tokens: 50, messages: [{ role: 'user', content: 'via alias' }] });
      assert.equal(textOf(opus as never), 'echo: via alias');
      assert.deepEqual(await lastUsage(), { provider: 'openrouter', model: 'fake-echo', requested_model: 'claude-opus-4-1-20250805' });

      const sonnet = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'no thinking' }] });
      assert.equal(textOf(sonnet as never), 'echo: no thinking');
      assert.deepEqual(await lastUsage(), { provider: 'openai', model: 'fake-echo', requested_model: 'claude-sonnet-4-5' });

      const openai = new OpenAI({ apiKey: projectToken, baseURL: `${url}/v1`, maxRetries: 0 });
      const gpt = await openai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'default route' }] });
      assert.equal(gpt.choices[0]?.message.content, 'echo: default route');
      const effort = await openai.chat.completions.create({ model: 'gpt-5', reasoning_effort: 'high', messages: [{ role: 'user', content: 'think' }] });
      assert.equal(effort.choices[0]?.message.content, 'echo: think');
      assert.deepEqual(await lastUsage(), { provider: 'anthropic', model: 'fake-echo', requested_model: 'gpt-5' });

      // An explicit provider/model passes as it is and records no requested name.
      await client.messages.create({ model: 'openai/fake-echo', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
      assert.deepEqual(await lastUsage(), { provider: 'openai', model: 'fake-echo', requested_model: null });
    });

    it("lists what the project can ask for, aliases included, in the client's format", async () => {
      const openai = new OpenAI({ apiKey: projectToken, baseURL: `${url}/v1`, maxRetries: 0 });
      const ids = (await openai.models.list()).data.map((m) => m.id);
      for (const id of ['claude-opus-4-1', 'my-tools', 'openai/fake-echo', 'anthropic/fake-echo', 'google/fake-echo']) assert.ok(ids.includes(id), `${id} in ${ids.join(',')}`);
      const client = new Anthropic({ apiKey: projectToken, baseURL: url, maxRetries: 0 });
      const page = await client.models.list();
      assert.ok(page.data.some((m) => m.id === 'claude-opus-4-1' && m.type === 'model'));
    });

    it("answers a name nothing serves with 404 in the client's format", async () => {
      await api.as(alice).put(`/api/projects/${projectId}/gateway`).send({ ...routes, default_model: null, reasoning_model: null }).expect(200);
      const client = new Anthropic({ apiKey: projectToken, baseURL: url, maxRetries: 0 });
      await assert.rejects(
        client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
        (err: unknown) => err instanceof Anthropic.NotFoundError && /No model serves .{0,4}claude-sonnet-4-5/.test((err as Error).message),
      );
      const openai = new OpenAI({ apiKey: projectToken, baseURL: `${url}/v1`, maxRetries: 0 });
      await assert.rejects(
        openai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'x' }] }),
        (err: unknown) => err instanceof OpenAI.NotFoundError,
      );
      // Still served: haiku-class names by small_model, aliases.
      const haiku = await client.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 5, messages: [{ role: 'user', content: 'ok' }] });
      assert.equal(textOf(haiku as never), 'echo: ok');
      await api.as(alice).put(`/api/projects/${projectId}/gateway`).send({ default_model: null, reasoning_model: null, small_model: null, aliases: {} }).expect(200);
    });
  });

  describe('OpenAI Responses API and embeddings', () => {
    const tools = [{ type: 'function' as const, name: 'get_weather', description: 'weather', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } } } }];

    for (const model of ['openai/fake-echo', 'anthropic/fake-echo', 'google/fake-echo']) {
      it(`serves client.responses.create from ${model.split('/')[0]}, plain and streaming`, async () => {
        const client = new OpenAI({ apiKey: projectToken, baseURL: `${url}/v1`, maxRetries: 0 });
        const plain = await client.responses.create({ model, instructions: 'Be brief.', input: 'hello responses', store: false });
        assert.equal(plain.object, 'response');
        assert.equal(plain.status, 'completed');
        assert.equal(plain.output_text, 'echo: hello responses');
        assert.equal(plain.usage?.input_tokens, 4);
        assert.equal(plain.usage?.output_tokens, 3);

        const stream = await client.responses.create({ model, input: [{ role: 'user', content: 'stream it' }], stream: true });
        const types: string[] = [];
        let text = '';
        let completed: OpenAI.Responses.Response | undefined;
        for await (const event of stream) {
          types.push(event.type);
          if (event.type === 'response.output_text.delta') text += event.delta;
          if (event.type === 'response.completed') completed = event.response;
        }
        assert.equal(types[0], 'response.created');
        assert.equal(types[types.length - 1], 'response.completed');
        assert.equal(text, 'echo: stream it');
        assert.equal(completed?.usage?.output_tokens, 3);

        const helper = client.responses.stream({ model, input: 'via the helper' });
        const final = await helper.finalResponse();
        // The helper's final response has no output_text convenience (this SDK adds it to non-streamed ones only).
        const message = final.output.find((o) => o.type === 'message');
        assert.equal(message?.type === 'message' && message.content.map((c) => (c.type === 'output_text' ? c.text : '')).join(''), 'echo: via the helper');
        assert.equal(final.status, 'completed');
      });
    }

    it('runs a function-call round trip over the Responses API', async () => {
      const client = new OpenAI({ apiKey: projectToken, baseURL: `${url}/v1`, maxRetries: 0 });
      const first = await client.responses.create({ model: 'anthropic/fake-tool', input: 'weather?', tools });
      const call = first.output.find((o) => o.type === 'function_call');
      assert.ok(call && call.type === 'function_call');
      assert.equal(call.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
      const second = await client.responses.create({
        model: 'anthropic/fake-tool',
        tools,
        input: [{ role: 'user', content: 'weather?' }, call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      });
      assert.equal(second.output_text, 'tool said: sunny');
      const streamed = await client.responses.stream({ model: 'openai/fake-tool', input: 'weather?', tools }).finalResponse();
      const streamedCall = streamed.output.find((o) => o.type === 'function_call');
      assert.deepEqual(streamedCall && streamedCall.type === 'function_call' && JSON.parse(streamedCall.arguments), { city: 'Paris' });
      await assert.rejects(
        client.responses.create({ model: 'openai/fake-echo', input: 'x', previous_response_id: 'resp_123' }),
        (err: unknown) => err instanceof OpenAI.BadRequestError && /previous_response_id/.test((err as Error).message),
      );
    });

    it('passes /v1/embeddings through to OpenAI-format providers and meters it', async () => {
      const client = new OpenAI({ apiKey: projectToken, baseURL: `${url}/v1`, maxRetries: 0 });
      await fakes.reset();
      const res = await client.embeddings.create({ model: 'openai/fake-echo', input: ['one two', 'three'], encoding_format: 'float' });
      assert.deepEqual(res.data.map((d) => d.embedding), [[2, 7, 1, 0], [1, 5, 1, 0]]);
      assert.equal(res.usage.prompt_tokens, 3);
      const upstream = await lastUpstream('openai');
      assert.match(upstream.path, /\/openai\/v1\/embeddings$/);
      await api.flushUsage();
      assert.deepEqual(upstream.body, { model: 'fake-echo', input: ['one two', 'three'], encoding_format: 'float' });
      const { rows } = await admin.query(`select prompt_tokens from usage_events where project_id = $1 and provider = 'openai' order by id desc limit 1`, [projectId]);
      assert.equal(rows[0].prompt_tokens, 3);
      await assert.rejects(client.embeddings.create({ model: 'google/fake-echo', input: 'x' }), (err: unknown) => err instanceof OpenAI.BadRequestError);
    });
  });

  describe('usage completeness', () => {
    const lastRow = async () => {
      await api.flushUsage();
      return (await admin.query(
        `select provider, model, status, prompt_tokens, completion_tokens, reasoning_tokens, cache_read_tokens, cache_write_tokens, cost_usd::float8 as cost
           from usage_events where project_id = $1 order by id desc limit 1`,
        [projectId],
      )).rows[0];
    };

    it('records cache reads and writes from Anthropic (message_start in a stream, usage when not)', async () => {
      const image = fixture('image-and-document.json');
      for (const stream of [true, false]) {
        const res = await send({ ...image, model: 'anthropic/fake-echo', stream });
        assert.equal(res.status, 200);
        await res.text();
        const row = await lastRow();
        assert.deepEqual(
          [row.provider, row.status, row.cache_read_tokens, row.cache_write_tokens, row.completion_tokens],
          ['anthropic', 'ok', 2, 1, 10],
          `stream ${stream}`,
        );
        // Prompt tokens count the cache too: 13 words of text + 1 written + 2 read.
        assert.equal(row.prompt_tokens, 16);
      }
    });

    it('records reasoning tokens from an OpenAI-format stream (include_usage asked upstream)', async () => {
      await fakes.reset();
      const res = await send({ model: 'openrouter/fake-echo', max_tokens: 100, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'think hard' }] });
      assert.equal(textOfStream(parseSse(await res.text())), 'echo: think hard');
      const upstream = (await lastUpstream('openrouter')).body as { stream_options: unknown; reasoning: unknown };
      assert.deepEqual(upstream.stream_options, { include_usage: true });
      assert.deepEqual(upstream.reasoning, { max_tokens: 1024 });
      const row = await lastRow();
      assert.deepEqual([row.provider, row.prompt_tokens, row.completion_tokens, row.reasoning_tokens], ['openrouter', 2, 3, 1]);
    });

    it("prices OpenRouter models from OpenRouter's catalogue when MODEL_PRICES has no entry", async () => {
      const openai = new OpenAI({ apiKey: projectToken, baseURL: `${url}/v1`, maxRetries: 0 });
      await openai.chat.completions.create({ model: 'openrouter/fake/fake-echo', messages: [{ role: 'user', content: 'what does it cost' }] });
      const row = await lastRow();
      // The fake's catalogue: $0.000001 per prompt token, $0.000002 per completion token.
      assert.deepEqual([row.model, row.prompt_tokens, row.completion_tokens], ['fake/fake-echo', 4, 5]);
      assert.ok(Math.abs(row.cost - (4 * 1 + 5 * 2) / 1_000_000) < 1e-12, `cost ${row.cost}`);
      await openai.chat.completions.create({ model: 'openai/fake-echo', messages: [{ role: 'user', content: 'unpriced' }] });
      assert.equal((await lastRow()).cost, null, 'other families stay unpriced without MODEL_PRICES');
    });
  });
});
