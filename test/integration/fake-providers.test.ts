import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI, {
  APIConnectionTimeoutError as OpenAITimeoutError,
  APIUserAbortError as OpenAIAbortError,
  AuthenticationError as OpenAIAuthError,
  InternalServerError as OpenAIServerError,
  NotFoundError as OpenAINotFoundError,
  RateLimitError as OpenAIRateLimitError,
} from 'openai';
import Anthropic, {
  APIConnectionTimeoutError as AnthropicTimeoutError,
  APIUserAbortError as AnthropicAbortError,
  AuthenticationError as AnthropicAuthError,
  InternalServerError as AnthropicServerError,
  NotFoundError as AnthropicNotFoundError,
  RateLimitError as AnthropicRateLimitError,
} from '@anthropic-ai/sdk';
import { ApiError as GoogleApiError, FinishReason, GoogleGenAI, type Content } from '@google/genai';
import { fakeProviderKey, startFakeProviders, type FakeProviders, type RecordedRequest } from '../support/fake-providers';

/**
 * The fake provider server, driven by the official SDKs (openai, @anthropic-ai/sdk, @google/genai) exactly
 * as the platform will drive the real APIs.
 */

const MODELS = ['fake-echo', 'fake-tool', 'fake-screenshot', 'fake-429', 'fake-500', 'fake-slow', 'fake-long', 'fake-length'];
const SYSTEM = 'You are terse';
const QUESTION = 'hello brave new world';
const ECHO = `echo: ${QUESTION}`;
const ECHO_PIECES = ['echo:', ' hello', ' brave', ' new', ' world'];
// Prompt = words of system + user text; completion = words of the answer.
const ECHO_USAGE = { prompt: 3 + 4, completion: 5 };
const WEATHER_SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string', description: 'City name' } },
  required: ['city'],
};
const TOOL_RESULT = 'sunny and 21 degrees';

const modelOf = (r: RecordedRequest): unknown => (r.body as { model?: unknown } | null)?.model;
const canaryKey = (): string => fakeProviderKey('canary');
const BAD_KEY = 'fk-bad-key-0000';

async function rejectsWith<T>(promise: Promise<unknown>, cls: new (...args: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${(err as Error)?.constructor?.name}: ${String(err)}`);
    return err as T;
  }
  assert.fail(`expected ${cls.name}, but the call succeeded`);
}

/** The key appears in no header but the given ones, nowhere in the path or body, and exactly in `expected`. */
function assertKeyOnlyIn(records: RecordedRequest[], key: string, expected: Record<string, string>): void {
  assert.ok(records.length > 0, 'no requests recorded');
  for (const r of records) {
    for (const [name, value] of Object.entries(r.headers)) {
      const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
      if (name in expected) assert.equal(text, expected[name], `header ${name} of ${r.method} ${r.path}`);
      else assert.ok(!text.includes(key), `key leaked in header ${name} of ${r.method} ${r.path}`);
    }
    for (const name of Object.keys(expected)) assert.ok(name in r.headers, `header ${name} missing on ${r.path}`);
    assert.ok(!r.path.includes(key), `key in path ${r.path}`);
    assert.ok(!JSON.stringify(r.body ?? null).includes(key), `key in body of ${r.path}`);
  }
}

describe('fake AI providers (official SDKs against loopback)', () => {
  let fake: FakeProviders;

  before(async () => {
    fake = await startFakeProviders();
  });
  after(async () => {
    await fake?.stop();
  });
  beforeEach(async () => {
    await fake.reset();
  });

  it('binds loopback, reports every family base URL and records requests', async () => {
    assert.equal(fake.origin, `http://127.0.0.1:${fake.port}`);
    assert.deepEqual(fake.baseUrls, {
      openai: `${fake.origin}/openai/v1`,
      openrouter: `${fake.origin}/openrouter/api/v1`,
      together: `${fake.origin}/together/v1`,
      xai: `${fake.origin}/xai/v1`,
      custom: `${fake.origin}/custom/v1`,
      anthropic: `${fake.origin}/anthropic`,
      google: `${fake.origin}/google`,
    });
    assert.deepEqual(await fake.requests(), []);
  });

  // -------------------------------------------------------------------------------------------------
  // OpenAI and the OpenAI-compatible families

  const compatFamilies = ['openai', 'openrouter', 'together', 'xai', 'custom'] as const;
  for (const family of compatFamilies) {
    describe(`${family} (openai SDK)`, () => {
      const key = canaryKey();
      // OpenRouter and Together list vendor-prefixed ids; the fake accepts any "provider/" prefix.
      const model = (name: string): string => (family === 'openrouter' || family === 'together' ? `fake/${name}` : name);
      const client = (apiKey = key, opts: { timeout?: number } = {}): OpenAI =>
        new OpenAI({
          apiKey,
          baseURL: fake.baseUrls[family],
          maxRetries: 0,
          ...opts,
          ...(family === 'openrouter'
            ? { defaultHeaders: { 'HTTP-Referer': 'https://pantheon.test', 'X-Title': 'Pantheon' } }
            : {}),
        });
      const echoMessages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: QUESTION },
      ];
      const weatherTool: OpenAI.ChatCompletionTool = {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather for a city', parameters: WEATHER_SCHEMA },
      };

      it('lists models', async () => {
        if (family === 'together') {
          // Together answers GET /v1/models with a bare array, so the SDK's page finds no `data`.
          const raw = await client().get<Array<{ id: string; type: string }>>('/models');
          assert.ok(Array.isArray(raw));
          assert.deepEqual(raw.map((m) => m.id), MODELS.map(model));
          assert.ok(raw.every((m) => m.type === 'chat'));
          const page = await client().models.list();
          assert.deepEqual(page.data, []);
          return;
        }
        const ids: string[] = [];
        for await (const m of client().models.list()) ids.push(m.id);
        assert.deepEqual(ids, MODELS.map(model));
        if (family === 'openrouter') {
          const page = await client().models.list();
          const entry = page.data[0] as unknown as {
            id: string;
            name: string;
            context_length: number;
            pricing: { prompt: string; completion: string };
          };
          assert.equal(entry.id, 'fake/fake-echo');
          assert.equal(typeof entry.name, 'string');
          assert.equal(entry.context_length, 32768);
          assert.deepEqual([entry.pricing.prompt, entry.pricing.completion], ['0.000001', '0.000002']);
        }
        const [req] = await fake.requests();
        assert.equal(req!.family, family);
        assert.equal(req!.method, 'GET');
        assert.equal(req!.path, new URL(`${fake.baseUrls[family]}/models`).pathname);
      });

      it('answers a chat completion with usage', async () => {
        const res = await client().chat.completions.create({ model: model('fake-echo'), messages: echoMessages });
        assert.equal(res.object, 'chat.completion');
        assert.equal(res.model, model('fake-echo'));
        assert.equal(res.choices[0]!.message.role, 'assistant');
        assert.equal(res.choices[0]!.message.content, ECHO);
        assert.equal(res.choices[0]!.finish_reason, 'stop');
        assert.deepEqual(res.usage, {
          prompt_tokens: ECHO_USAGE.prompt,
          completion_tokens: ECHO_USAGE.completion,
          total_tokens: ECHO_USAGE.prompt + ECHO_USAGE.completion,
        });
        const [req] = await fake.requests();
        assert.equal(req!.path, new URL(`${fake.baseUrls[family]}/chat/completions`).pathname);
        assert.deepEqual((req!.body as { messages: unknown }).messages, echoMessages);
      });

      it('streams a chat completion in order, ending with usage and [DONE]', async () => {
        const stream = await client().chat.completions.create({
          model: model('fake-echo'),
          messages: echoMessages,
          stream: true,
          stream_options: { include_usage: true },
        });
        const pieces: string[] = [];
        const finishes: string[] = [];
        let usage: OpenAI.CompletionUsage | null | undefined;
        let chunks = 0;
        for await (const chunk of stream) {
          chunks++;
          assert.equal(chunk.object, 'chat.completion.chunk');
          const choice = chunk.choices[0];
          if (choice?.delta.content) pieces.push(choice.delta.content);
          if (choice?.finish_reason) finishes.push(choice.finish_reason);
          if (chunk.usage) {
            assert.deepEqual(chunk.choices, [], 'the usage chunk has no choices');
            usage = chunk.usage;
          }
        }
        assert.deepEqual(pieces, ECHO_PIECES);
        assert.deepEqual(finishes, ['stop']);
        assert.deepEqual(usage, {
          prompt_tokens: ECHO_USAGE.prompt,
          completion_tokens: ECHO_USAGE.completion,
          total_tokens: ECHO_USAGE.prompt + ECHO_USAGE.completion,
        });
        assert.equal(chunks, 1 + ECHO_PIECES.length + 1 + 1);

        // Without include_usage no chunk carries usage.
        const plain = await client().chat.completions.create({ model: model('fake-echo'), messages: echoMessages, stream: true });
        for await (const chunk of plain) assert.equal(chunk.usage, undefined);
        // The SDK's stream helper assembles the same message.
        const final = await client().chat.completions.stream({ model: model('fake-echo'), messages: echoMessages }).finalChatCompletion();
        assert.equal(final.choices[0]!.message.content, ECHO);
      });

      it('round-trips a tool call, non-streamed and streamed', async () => {
        const first = await client().chat.completions.create({
          model: model('fake-tool'),
          messages: [{ role: 'user', content: 'weather in paris?' }],
          tools: [weatherTool],
        });
        const choice = first.choices[0]!;
        assert.equal(choice.finish_reason, 'tool_calls');
        assert.equal(choice.message.content, null);
        const call = choice.message.tool_calls![0]!;
        assert.equal(call.type, 'function');
        assert.ok(call.type === 'function');
        assert.equal(call.function.name, 'get_weather');
        assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
        assert.equal(first.usage!.completion_tokens, 1);

        const second = await client().chat.completions.create({
          model: model('fake-tool'),
          messages: [
            { role: 'user', content: 'weather in paris?' },
            choice.message,
            { role: 'tool', tool_call_id: call.id, content: TOOL_RESULT },
          ],
          tools: [weatherTool],
        });
        assert.equal(second.choices[0]!.message.content, `tool said: ${TOOL_RESULT}`);
        assert.equal(second.choices[0]!.finish_reason, 'stop');
        assert.deepEqual(second.usage, { prompt_tokens: 3 + 4, completion_tokens: 6, total_tokens: 13 });

        // Streamed: the arguments arrive in several fragments after the id and name.
        const stream = await client().chat.completions.create({
          model: model('fake-tool'),
          messages: [{ role: 'user', content: 'weather in paris?' }],
          tools: [weatherTool],
          stream: true,
        });
        const fragments: string[] = [];
        let id: string | undefined;
        let name: string | undefined;
        let finish: string | null | undefined;
        for await (const chunk of stream) {
          const c = chunk.choices[0];
          for (const tc of c?.delta.tool_calls ?? []) {
            assert.equal(tc.index, 0);
            id ??= tc.id;
            name ??= tc.function?.name;
            if (tc.function?.arguments) fragments.push(tc.function.arguments);
          }
          if (c?.finish_reason) finish = c.finish_reason;
        }
        assert.ok(id?.startsWith('call_'));
        assert.equal(name, 'get_weather');
        assert.ok(fragments.length > 1, `arguments in one piece: ${JSON.stringify(fragments)}`);
        assert.deepEqual(JSON.parse(fragments.join('')), { city: 'Paris' });
        assert.equal(finish, 'tool_calls');

        // The stream helper assembles the tool call; a tool without `city` gets {}.
        const helper = await client()
          .chat.completions.stream({
            model: model('fake-tool'),
            messages: [{ role: 'user', content: 'now' }],
            tools: [{ type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }],
          })
          .finalChatCompletion();
        const helperCall = helper.choices[0]!.message.tool_calls![0]!;
        assert.ok(helperCall.type === 'function');
        assert.equal(helperCall.function.name, 'get_time');
        assert.deepEqual(JSON.parse(helperCall.function.arguments), {});
      });

      it('maps 401, 429, 500 and unknown models to the SDK error classes', async () => {
        const auth = await rejectsWith(
          client(BAD_KEY).chat.completions.create({ model: model('fake-echo'), messages: echoMessages }),
          OpenAIAuthError,
        );
        assert.equal(auth.status, 401);
        const limited = await rejectsWith(
          client().chat.completions.create({ model: model('fake-429'), messages: echoMessages }),
          OpenAIRateLimitError,
        );
        assert.equal(limited.status, 429);
        assert.equal(limited.headers?.get('retry-after'), '1');
        const server = await rejectsWith(
          client().chat.completions.create({ model: model('fake-500'), messages: echoMessages }),
          OpenAIServerError,
        );
        assert.equal(server.status, 500);
        const missing = await rejectsWith(
          client().chat.completions.create({ model: model('no-such-model'), messages: echoMessages }),
          OpenAINotFoundError,
        );
        assert.equal(missing.status, 404);
        if (family === 'openrouter') {
          assert.deepEqual(auth.error, { message: 'User not found.', code: 401 });
        } else {
          assert.equal(auth.code, 'invalid_api_key');
          assert.equal(limited.code, 'rate_limit_exceeded');
          assert.equal(missing.code, 'model_not_found');
        }
        // A bad key is rejected on the model list too (OpenRouter's list is public).
        if (family !== 'openrouter') await rejectsWith(client(BAD_KEY).models.list(), OpenAIAuthError);
        // maxRetries: 0 means one request per call.
        const chats = (await fake.requests()).filter((r) => r.path.endsWith('/chat/completions'));
        assert.equal(chats.length, 4);
        // A 401 in the middle of nothing: the key is never echoed back.
        assert.ok(!auth.message.includes(BAD_KEY));
      });

      it('stops with finish_reason length for fake-length', async () => {
        const res = await client().chat.completions.create({ model: model('fake-length'), messages: echoMessages, max_tokens: 2 });
        assert.equal(res.choices[0]!.finish_reason, 'length');
        assert.equal(res.choices[0]!.message.content, 'echo: hello');
        assert.equal(res.usage!.completion_tokens, 2);
        const stream = await client().chat.completions.create({
          model: model('fake-length'),
          messages: echoMessages,
          max_completion_tokens: 3,
          stream: true,
        });
        let text = '';
        let finish: string | null | undefined;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? '';
          finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        assert.equal(text, 'echo: hello brave');
        assert.equal(finish, 'length');
      });

      it('records a stream the client aborted', async () => {
        const ac = new AbortController();
        const stream = await client().chat.completions.create(
          { model: model('fake-long'), messages: [{ role: 'user', content: 'go on' }], stream: true },
          { signal: ac.signal },
        );
        let pieces = 0;
        // The openai SDK ends the iteration quietly when the request's signal aborts (no error).
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta.content) pieces++;
          if (pieces === 3) ac.abort();
        }
        assert.equal(pieces, 3);
        assert.ok(ac.signal.aborted);
        // A request aborted before the response arrives does reject, with APIUserAbortError.
        const early = new AbortController();
        const pending = client().chat.completions.create({ model: model('fake-slow'), messages: echoMessages }, { signal: early.signal });
        setTimeout(() => early.abort(), 50);
        await rejectsWith(pending, OpenAIAbortError);
        const long = await fake.waitForRequest((r) => r.aborted && modelOf(r) === model('fake-long'));
        assert.equal(long.family, family);
        await fake.waitForRequest((r) => r.aborted && modelOf(r) === model('fake-slow'));
      });

      it('gives up on fake-slow at the client timeout, and the fake sees the disconnect', async () => {
        await rejectsWith(
          client(key, { timeout: 300 }).chat.completions.create({ model: model('fake-slow'), messages: echoMessages }),
          OpenAITimeoutError,
        );
        const req = await fake.waitForRequest((r) => r.aborted);
        assert.equal(modelOf(req), model('fake-slow'));
      });

      it('sends the key only as the bearer token', async () => {
        await client().models.list();
        await client().chat.completions.create({ model: model('fake-echo'), messages: echoMessages });
        for await (const _ of await client().chat.completions.create({ model: model('fake-echo'), messages: echoMessages, stream: true })) {
          // drain
        }
        const records = await fake.requests();
        assert.equal(records.length, 3);
        assertKeyOnlyIn(records, key, { authorization: `Bearer ${key}` });
        if (family === 'openrouter') {
          for (const r of records) {
            assert.equal(r.headers['http-referer'], 'https://pantheon.test');
            assert.equal(r.headers['x-title'], 'Pantheon');
          }
        }
      });
    });
  }

  it('openrouter: GET /key answers the key info, 401 for a bad key (plain fetch)', async () => {
    const key = canaryKey();
    const ok = await fetch(`${fake.baseUrls.openrouter}/key`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(ok.status, 200);
    const info = (await ok.json()) as { data: { label: string; usage: number; limit: number | null; is_free_tier: boolean } };
    assert.equal(typeof info.data.label, 'string');
    assert.ok(!info.data.label.includes(key));
    assert.equal(info.data.usage, 0);
    assert.equal(info.data.limit, null);
    assert.equal(info.data.is_free_tier, false);
    const bad = await fetch(`${fake.baseUrls.openrouter}/key`, { headers: { authorization: `Bearer ${BAD_KEY}` } });
    assert.equal(bad.status, 401);
    assert.deepEqual(await bad.json(), { error: { message: 'User not found.', code: 401 } });
    const none = await fetch(`${fake.baseUrls.openrouter}/key`);
    assert.equal(none.status, 401);
    const [first] = await fake.requests();
    assert.equal(first!.path, '/openrouter/api/v1/key');
  });

  // -------------------------------------------------------------------------------------------------
  // Anthropic

  describe('anthropic (@anthropic-ai/sdk)', () => {
    const key = canaryKey();
    const client = (apiKey = key, opts: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}): Anthropic =>
      new Anthropic({ apiKey, baseURL: fake.baseUrls.anthropic, maxRetries: 0, ...opts });
    const echo = { model: 'fake-echo', max_tokens: 256, system: SYSTEM, messages: [{ role: 'user' as const, content: QUESTION }] };
    const weatherTool: Anthropic.Tool = {
      name: 'get_weather',
      description: 'Weather for a city',
      input_schema: WEATHER_SCHEMA as Anthropic.Tool.InputSchema,
    };

    it('lists models', async () => {
      const ids: string[] = [];
      for await (const m of client().models.list()) ids.push(m.id);
      assert.deepEqual(ids, MODELS);
      const [req] = await fake.requests();
      assert.equal(req!.path, '/anthropic/v1/models');
    });

    it('answers a message with usage', async () => {
      const msg = await client().messages.create(echo);
      assert.equal(msg.type, 'message');
      assert.equal(msg.role, 'assistant');
      assert.equal(msg.model, 'fake-echo');
      assert.deepEqual(msg.content.map((b) => (b.type === 'text' ? b.text : b.type)), [ECHO]);
      assert.equal(msg.stop_reason, 'end_turn');
      assert.equal(msg.usage.input_tokens, ECHO_USAGE.prompt);
      assert.equal(msg.usage.output_tokens, ECHO_USAGE.completion);
      const [req] = await fake.requests();
      assert.equal(req!.path, '/anthropic/v1/messages');
      assert.equal(typeof req!.headers['anthropic-version'], 'string');
    });

    it('streams events in order, with the final usage in message_delta', async () => {
      const stream = await client().messages.create({ ...echo, stream: true });
      const types: string[] = [];
      const pieces: string[] = [];
      let stop: string | null = null;
      let output = -1;
      let input = -1;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'message_start') input = event.message.usage.input_tokens;
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') pieces.push(event.delta.text);
        if (event.type === 'message_delta') {
          stop = event.delta.stop_reason;
          output = event.usage.output_tokens;
        }
      }
      // The SDK drops `ping`; the stream ends when the connection does (after message_stop).
      assert.deepEqual(types, [
        'message_start',
        'content_block_start',
        ...ECHO_PIECES.map(() => 'content_block_delta'),
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      assert.deepEqual(pieces, ECHO_PIECES);
      assert.equal(stop, 'end_turn');
      assert.equal(input, ECHO_USAGE.prompt);
      assert.equal(output, ECHO_USAGE.completion);

      const final = await client().messages.stream(echo).finalMessage();
      assert.deepEqual(final.content.map((b) => (b.type === 'text' ? b.text : b.type)), [ECHO]);
      assert.equal(final.usage.output_tokens, ECHO_USAGE.completion);
      assert.equal(final.usage.input_tokens, ECHO_USAGE.prompt);
    });

    it('round-trips a tool call, non-streamed and streamed', async () => {
      const ask = { model: 'fake-tool', max_tokens: 256, tools: [weatherTool] };
      const question: Anthropic.MessageParam = { role: 'user', content: 'weather in paris?' };
      const first = await client().messages.create({ ...ask, messages: [question] });
      assert.equal(first.stop_reason, 'tool_use');
      const use = first.content[0]!;
      assert.ok(use.type === 'tool_use');
      assert.equal(use.name, 'get_weather');
      assert.deepEqual(use.input, { city: 'Paris' });

      const second = await client().messages.create({
        ...ask,
        messages: [
          question,
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: TOOL_RESULT }] },
        ],
      });
      assert.equal(second.stop_reason, 'end_turn');
      assert.deepEqual(second.content.map((b) => (b.type === 'text' ? b.text : b.type)), [`tool said: ${TOOL_RESULT}`]);
      assert.equal(second.usage.input_tokens, 3 + 4);
      assert.equal(second.usage.output_tokens, 6);

      // Streamed: input_json_delta fragments, assembled by the helper.
      const stream = client().messages.stream({ ...ask, messages: [question] });
      const fragments: string[] = [];
      stream.on('inputJson', (partial) => fragments.push(partial));
      const final = await stream.finalMessage();
      assert.ok(fragments.length > 1, `input in one piece: ${JSON.stringify(fragments)}`);
      assert.deepEqual(JSON.parse(fragments.join('')), { city: 'Paris' });
      assert.equal(final.stop_reason, 'tool_use');
      const streamedUse = final.content[0]!;
      assert.ok(streamedUse.type === 'tool_use');
      assert.deepEqual(streamedUse.input, { city: 'Paris' });

      // Raw events: content_block_start carries the tool_use block with empty input.
      const raw = await client().messages.create({ ...ask, messages: [question], stream: true });
      const deltaTypes = new Set<string>();
      for await (const event of raw) {
        if (event.type === 'content_block_start') assert.equal(event.content_block.type, 'tool_use');
        if (event.type === 'content_block_delta') deltaTypes.add(event.delta.type);
      }
      assert.deepEqual([...deltaTypes], ['input_json_delta']);
    });

    it('maps 401, 429, 500 and unknown models to the SDK error classes', async () => {
      const auth = await rejectsWith(client(BAD_KEY).messages.create(echo), AnthropicAuthError);
      assert.equal(auth.status, 401);
      assert.equal(auth.type, 'authentication_error');
      const limited = await rejectsWith(client().messages.create({ ...echo, model: 'fake-429' }), AnthropicRateLimitError);
      assert.equal(limited.status, 429);
      assert.equal(limited.type, 'rate_limit_error');
      assert.equal(limited.headers?.get('retry-after'), '1');
      const server = await rejectsWith(client().messages.create({ ...echo, model: 'fake-500' }), AnthropicServerError);
      assert.equal(server.status, 500);
      assert.equal(server.type, 'api_error');
      const missing = await rejectsWith(client().messages.create({ ...echo, model: 'claude-nope' }), AnthropicNotFoundError);
      assert.equal(missing.status, 404);
      assert.equal(missing.type, 'not_found_error');
      assert.equal(missing.requestID, missing.headers?.get('request-id'));
      await rejectsWith(client(BAD_KEY).models.list(), AnthropicAuthError);
      assert.equal((await fake.requests()).length, 5);
    });

    it('stops with max_tokens for fake-length', async () => {
      const msg = await client().messages.create({ ...echo, model: 'fake-length', max_tokens: 2 });
      assert.equal(msg.stop_reason, 'max_tokens');
      assert.deepEqual(msg.content.map((b) => (b.type === 'text' ? b.text : b.type)), ['echo: hello']);
      assert.equal(msg.usage.output_tokens, 2);
      const final = await client().messages.stream({ ...echo, model: 'fake-length', max_tokens: 3 }).finalMessage();
      assert.equal(final.stop_reason, 'max_tokens');
      assert.equal(final.usage.output_tokens, 3);
    });

    it('records a stream the client aborted', async () => {
      const ac = new AbortController();
      const stream = await client().messages.create(
        { model: 'fake-long', max_tokens: 1024, messages: [{ role: 'user', content: 'go on' }], stream: true },
        { signal: ac.signal },
      );
      let pieces = 0;
      // Like openai, the SDK ends the iteration quietly when the signal aborts (no error).
      for await (const event of stream) {
        if (event.type === 'content_block_delta') pieces++;
        if (pieces === 3) ac.abort();
      }
      assert.equal(pieces, 3);
      // A request aborted before the response arrives does reject, with APIUserAbortError.
      const early = new AbortController();
      const pending = client().messages.create({ ...echo, model: 'fake-slow' }, { signal: early.signal });
      setTimeout(() => early.abort(), 50);
      await rejectsWith(pending, AnthropicAbortError);
      const long = await fake.waitForRequest((r) => r.aborted && modelOf(r) === 'fake-long');
      assert.equal(long.family, 'anthropic');
      await fake.waitForRequest((r) => r.aborted && modelOf(r) === 'fake-slow');
    });

    it('gives up on fake-slow at the client timeout, and the fake sees the disconnect', async () => {
      await rejectsWith(client(key, { timeout: 300 }).messages.create({ ...echo, model: 'fake-slow' }), AnthropicTimeoutError);
      const req = await fake.waitForRequest((r) => r.aborted);
      assert.equal(modelOf(req), 'fake-slow');
    });

    it('sends the key only in the auth header (this SDK: Authorization: Bearer)', async () => {
      await client().models.list();
      await client().messages.create(echo);
      await client().messages.stream(echo).finalMessage();
      const records = await fake.requests();
      assert.equal(records.length, 3);
      assertKeyOnlyIn(records, key, { authorization: `Bearer ${key}` });
      for (const r of records) {
        assert.equal(r.headers['x-api-key'], undefined);
        assert.match(String(r.headers['anthropic-version']), /^\d{4}-\d{2}-\d{2}$/);
      }
      // The classic x-api-key header is accepted as well (the SDK's Authorization removed).
      const classic = client(key, { defaultHeaders: { 'x-api-key': key, Authorization: null } });
      const msg = await classic.messages.create(echo);
      assert.equal(msg.stop_reason, 'end_turn');
      const last = (await fake.requests()).at(-1)!;
      assertKeyOnlyIn([last], key, { 'x-api-key': key });
      assert.equal(last.headers.authorization, undefined);
    });
  });

  // -------------------------------------------------------------------------------------------------
  // Google Gemini

  describe('google (@google/genai)', () => {
    const key = canaryKey();
    // No retryOptions: @google/genai only retries when they are given.
    const client = (apiKey = key, timeout?: number): GoogleGenAI =>
      new GoogleGenAI({ apiKey, httpOptions: { baseUrl: fake.baseUrls.google, ...(timeout ? { timeout } : {}) } });
    const echo = { model: 'fake-echo', contents: QUESTION, config: { systemInstruction: SYSTEM } };
    const weatherTools = [
      { functionDeclarations: [{ name: 'get_weather', description: 'Weather for a city', parametersJsonSchema: WEATHER_SCHEMA }] },
    ];

    it('lists models', async () => {
      const names: string[] = [];
      for await (const m of await client().models.list()) names.push(m.name!);
      assert.deepEqual(names, MODELS.map((m) => `models/${m}`));
      const [req] = await fake.requests();
      assert.equal(req!.path, '/google/v1beta/models');
    });

    it('generates content with usage', async () => {
      const res = await client().models.generateContent(echo);
      assert.equal(res.text, ECHO);
      assert.equal(res.candidates![0]!.finishReason, FinishReason.STOP);
      assert.deepEqual(res.usageMetadata, {
        promptTokenCount: ECHO_USAGE.prompt,
        candidatesTokenCount: ECHO_USAGE.completion,
        totalTokenCount: ECHO_USAGE.prompt + ECHO_USAGE.completion,
      });
      const [req] = await fake.requests();
      assert.equal(req!.path, '/google/v1beta/models/fake-echo:generateContent');
      assert.deepEqual(req!.body, {
        contents: [{ parts: [{ text: QUESTION }], role: 'user' }],
        // The SDK sends the system instruction with role "user" and an empty generationConfig.
        systemInstruction: { parts: [{ text: SYSTEM }], role: 'user' },
        generationConfig: {},
      });
    });

    it('streams content in order, ending with finishReason and usage', async () => {
      const stream = await client().models.generateContentStream(echo);
      const pieces: string[] = [];
      const finishes: string[] = [];
      let usage: unknown;
      for await (const chunk of stream) {
        if (chunk.text) pieces.push(chunk.text);
        const finish = chunk.candidates?.[0]?.finishReason;
        if (finish) finishes.push(finish);
        usage = chunk.usageMetadata;
      }
      assert.deepEqual(pieces, ECHO_PIECES);
      assert.deepEqual(finishes, [FinishReason.STOP]);
      assert.deepEqual(usage, {
        promptTokenCount: ECHO_USAGE.prompt,
        candidatesTokenCount: ECHO_USAGE.completion,
        totalTokenCount: ECHO_USAGE.prompt + ECHO_USAGE.completion,
      });
      const [req] = await fake.requests();
      assert.equal(req!.path, '/google/v1beta/models/fake-echo:streamGenerateContent?alt=sse');
    });

    it('round-trips a function call, non-streamed and streamed', async () => {
      const question: Content = { role: 'user', parts: [{ text: 'weather in paris?' }] };
      const first = await client().models.generateContent({ model: 'fake-tool', contents: [question], config: { tools: weatherTools } });
      assert.deepEqual(first.functionCalls, [{ name: 'get_weather', args: { city: 'Paris' } }]);
      assert.equal(first.candidates![0]!.finishReason, FinishReason.STOP);
      const modelTurn = first.candidates![0]!.content!;

      const second = await client().models.generateContent({
        model: 'fake-tool',
        contents: [
          question,
          modelTurn,
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: TOOL_RESULT } } }] },
        ],
        config: { tools: weatherTools },
      });
      assert.equal(second.text, `tool said: ${TOOL_RESULT}`);
      assert.equal(second.usageMetadata!.promptTokenCount, 3 + 4);
      assert.equal(second.usageMetadata!.candidatesTokenCount, 6);

      // Streamed: Gemini sends the whole functionCall in one chunk (no argument fragments).
      const stream = await client().models.generateContentStream({ model: 'fake-tool', contents: [question], config: { tools: weatherTools } });
      const calls: unknown[] = [];
      for await (const chunk of stream) calls.push(...(chunk.functionCalls ?? []));
      assert.deepEqual(calls, [{ name: 'get_weather', args: { city: 'Paris' } }]);
    });

    it('surfaces 401, 429, 500 and unknown models as ApiError with the status', async () => {
      const cases: Array<[GoogleGenAI, string, number]> = [
        [client(BAD_KEY), 'fake-echo', 401],
        [client(), 'fake-429', 429],
        [client(), 'fake-500', 500],
        [client(), 'gemini-nope', 404],
      ];
      for (const [c, model, status] of cases) {
        const err = await rejectsWith(c.models.generateContent({ ...echo, model }), GoogleApiError);
        assert.equal(err.status, status, model);
        const body = JSON.parse(err.message) as { error: { code: number; status: string } };
        assert.equal(body.error.code, status);
      }
      const streamErr = await rejectsWith(client().models.generateContentStream({ ...echo, model: 'fake-429' }), GoogleApiError);
      assert.equal(streamErr.status, 429);
      await rejectsWith(client(BAD_KEY).models.list(), GoogleApiError);
      assert.equal((await fake.requests()).length, 6);
    });

    it('stops with MAX_TOKENS for fake-length', async () => {
      const res = await client().models.generateContent({ ...echo, model: 'fake-length', config: { maxOutputTokens: 2 } });
      assert.equal(res.candidates![0]!.finishReason, FinishReason.MAX_TOKENS);
      assert.equal(res.text, 'echo: hello');
      assert.equal(res.usageMetadata!.candidatesTokenCount, 2);
    });

    it('records a stream the client aborted', async () => {
      const ac = new AbortController();
      const stream = await client().models.generateContentStream({
        model: 'fake-long',
        contents: 'go on',
        config: { abortSignal: ac.signal },
      });
      let pieces = 0;
      // Unlike openai and anthropic, @google/genai rethrows the fetch AbortError (a DOMException).
      await assert.rejects(
        (async () => {
          for await (const chunk of stream) {
            if (chunk.text) pieces++;
            if (pieces === 3) ac.abort();
          }
        })(),
        (err: Error) => err.name === 'AbortError',
      );
      assert.equal(pieces, 3);
      const req = await fake.waitForRequest((r) => r.aborted);
      assert.equal(req.family, 'google');
      assert.match(req.path, /fake-long:streamGenerateContent/);
    });

    it('gives up on fake-slow at the client timeout, and the fake sees the disconnect', async () => {
      // @google/genai has no timeout error class: the timeout surfaces as the fetch AbortError.
      await assert.rejects(client(key, 300).models.generateContent({ ...echo, model: 'fake-slow' }), (err: Error) => err.name === 'AbortError');
      const req = await fake.waitForRequest((r) => r.aborted);
      assert.match(req.path, /fake-slow:generateContent/);
    });

    it('sends the key only in x-goog-api-key', async () => {
      await client().models.list();
      await client().models.generateContent(echo);
      for await (const _ of await client().models.generateContentStream(echo)) {
        // drain
      }
      const records = await fake.requests();
      assert.equal(records.length, 3);
      assertKeyOnlyIn(records, key, { 'x-goog-api-key': key });
      for (const r of records) assert.equal(r.headers.authorization, undefined);
    });
  });
});
