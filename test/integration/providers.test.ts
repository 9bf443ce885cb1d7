import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  ChatParams,
  ChatProvider,
  ChatStreamEvent,
  collectChatStream,
  DEFAULT_BASE_URLS,
  PROVIDER_IDS,
  ProviderError,
  ProviderErrorCode,
  ProviderId,
  ProviderRegistry,
  ProviderSettings,
  ToolDefinition,
} from '@pantheon/providers';
import { startFakeProviders, type FakeProviders, type RecordedRequest } from '../support/fake-providers';

/**
 * Every provider adapter (through the registry, as the apps use it) against the wire-compatible fakes:
 * the real SDKs, real HTTP on loopback, our conversions and error mapping.
 */

const KEY = 'fk-integration-0123456789abcdef';
const BAD_KEY = 'fk-bad-integration-0123456789';
const SYSTEM = 'You are terse';
const QUESTION = 'hello brave new world';
const ECHO = `echo: ${QUESTION}`;
// The fake counts words: system (3) + question (4) in, the echo (5) out.
const ECHO_USAGE = { promptTokens: 7, completionTokens: 5 };
const WEATHER: ToolDefinition = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const TOOL_RESULT = 'sunny and 21 degrees';

function settingsFor(fake: FakeProviders, timeoutMs: number): ProviderSettings {
  const { openai, openrouter, together, xai, anthropic, google } = fake.baseUrls;
  return {
    baseUrls: { ...DEFAULT_BASE_URLS, openai, openrouter, together, xai, anthropic, google },
    timeoutMs,
    openRouter: { referer: 'https://pantheon.test', title: 'Pantheon Tests' },
  };
}

function modelOf(r: RecordedRequest): string {
  const body = r.body as { model?: unknown } | null;
  return typeof body?.model === 'string' ? body.model : r.path;
}

async function rejectsWithCode(promise: Promise<unknown>, code: ProviderErrorCode, provider: ProviderId): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ProviderError, `expected ProviderError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.provider, provider);
    assert.match(error.message, new RegExp(`\\b${provider}\\b`), 'the message names the provider');
    assert.ok(!error.message.includes(KEY) && !error.message.includes(BAD_KEY), `key in message: ${error.message}`);
    return error;
  }
  return assert.fail(`expected ${code}, but the call succeeded`);
}

async function drain(events: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('provider adapters against the fake providers', () => {
  let fake: FakeProviders;
  let registry: ProviderRegistry;
  let quick: ProviderRegistry;

  before(async () => {
    fake = await startFakeProviders();
    registry = new ProviderRegistry(settingsFor(fake, 10_000));
    // A short PROVIDER_TIMEOUT_MS, for fake-slow (30 s before it answers).
    quick = new ProviderRegistry(settingsFor(fake, 300));
  });
  after(async () => {
    await fake?.stop();
  });
  beforeEach(async () => {
    await fake.reset();
  });

  for (const id of PROVIDER_IDS) {
    describe(id, () => {
      const provider = (): ChatProvider => registry.get(id);
      // `custom` has no configured upstream: every call brings its base URL.
      const baseUrl = (): string | undefined => (id === 'custom' ? fake.baseUrls.custom : undefined);
      const params = (model: string, extra: Partial<ChatParams> = {}): ChatParams => ({
        apiKey: KEY,
        baseUrl: baseUrl(),
        model,
        messages: [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: QUESTION },
        ],
        parameters: { temperature: 0.2 },
        ...extra,
      });

      it('checkKey accepts a good key and reports a rejected one without throwing', async () => {
        assert.equal((await provider().checkKey({ apiKey: KEY, baseUrl: baseUrl() })).valid, true);
        assert.deepEqual(await provider().checkKey({ apiKey: BAD_KEY, baseUrl: baseUrl() }), { valid: false });
        const requests = await fake.requests();
        assert.ok(requests.length >= 2);
        for (const r of requests) {
          assert.equal(r.family, id);
          assert.ok(!r.path.includes(KEY) && !JSON.stringify(r.body ?? null).includes(KEY), 'key only in headers');
        }
      });

      it('listModels returns provider/model ids', async () => {
        const models = await provider().listModels({ apiKey: KEY, baseUrl: baseUrl() });
        assert.equal(models.length, 8);
        const echo = models.find((m) => m.model.endsWith('fake-echo'));
        assert.ok(echo, JSON.stringify(models));
        assert.equal(echo.provider, id);
        assert.equal(echo.id, `${id}/${echo.model}`);
      });

      it('chat answers with text, stop reason and usage', async () => {
        const result = await provider().chat(params('fake-echo'));
        assert.equal(result.text, ECHO);
        assert.deepEqual(result.toolCalls, []);
        assert.equal(result.stopReason, 'end');
        assert.deepEqual(result.usage, ECHO_USAGE);
        assert.equal(result.model, 'fake-echo');
      });

      it('streamChat yields start, text deltas in order, then one finish with usage', async () => {
        const events = await drain(provider().streamChat(params('fake-echo')));
        assert.equal(events[0]?.type, 'start');
        assert.equal(events.filter((e) => e.type === 'start').length, 1);
        assert.equal(events.at(-1)?.type, 'finish');
        assert.equal(events.filter((e) => e.type === 'finish').length, 1);
        const text = events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : []));
        assert.ok(text.length > 1, 'streamed in pieces');
        assert.equal(text.join(''), ECHO);
        const finish = events.at(-1) as Extract<ChatStreamEvent, { type: 'finish' }>;
        assert.equal(finish.stopReason, 'end');
        assert.deepEqual(finish.usage, ECHO_USAGE, 'the same usage as without streaming');
      });

      it('chat returns a tool call, and answers from the tool result on the next turn', async () => {
        const first = await provider().chat(params('fake-tool', { tools: [WEATHER] }));
        assert.equal(first.stopReason, 'tool_calls');
        assert.equal(first.toolCalls.length, 1);
        const [call] = first.toolCalls;
        assert.equal(call?.name, 'get_weather');
        assert.deepEqual(JSON.parse(call!.arguments), { city: 'Paris' });
        assert.ok(call?.id, 'the call has an id');

        const second = await provider().chat(
          params('fake-tool', {
            tools: [WEATHER],
            messages: [
              { role: 'system', content: SYSTEM },
              { role: 'user', content: QUESTION },
              { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
              { role: 'tool', toolCallId: call!.id, content: TOOL_RESULT },
            ],
          }),
        );
        assert.equal(second.text, `tool said: ${TOOL_RESULT}`);
        assert.equal(second.stopReason, 'end');
      });

      it('streamChat streams the tool call (start, then argument deltas) and its stop reason', async () => {
        const events = await drain(provider().streamChat(params('fake-tool', { tools: [WEATHER] })));
        const start = events.findIndex((e) => e.type === 'tool_call_start');
        const firstDelta = events.findIndex((e) => e.type === 'tool_call_delta');
        assert.ok(start >= 0 && firstDelta > start, 'tool_call_start precedes its deltas');
        const result = await collectChatStream((async function* () { yield* events; })());
        assert.equal(result.stopReason, 'tool_calls');
        assert.equal(result.toolCalls[0]?.name, 'get_weather');
        assert.deepEqual(JSON.parse(result.toolCalls[0]!.arguments), { city: 'Paris' });
      });

      it('reports a max-tokens stop as length', async () => {
        const result = await provider().chat(params('fake-length', { parameters: { max_tokens: 2 } }));
        assert.equal(result.stopReason, 'length');
        assert.equal(result.text, 'echo: hello');
      });

      it('maps a rejected key, 429, 500 and an unknown model to their codes', async () => {
        await rejectsWithCode(provider().chat({ ...params('fake-echo'), apiKey: BAD_KEY }), ProviderErrorCode.INVALID_KEY, id);
        const limited = await rejectsWithCode(provider().chat(params('fake-429')), ProviderErrorCode.RATE_LIMITED, id);
        // Gemini's ApiError carries no headers; the fake's 429 body has no RetryInfo.
        if (id !== 'google') assert.equal(limited.retryAfterSeconds, 1);
        await rejectsWithCode(provider().chat(params('fake-500')), ProviderErrorCode.UPSTREAM_ERROR, id);
        await rejectsWithCode(provider().chat(params('no-such-model')), ProviderErrorCode.MODEL_NOT_FOUND, id);
        await rejectsWithCode(drain(provider().streamChat(params('fake-429'))), ProviderErrorCode.RATE_LIMITED, id);
        await rejectsWithCode(drain(provider().streamChat(params('no-such-model'))), ProviderErrorCode.MODEL_NOT_FOUND, id);
        const calls = (await fake.requests()).filter((r) => r.method === 'POST');
        assert.equal(calls.length, 6, 'one attempt per call: the SDKs do not retry');
      });

      it('times out after the provider timeout, streaming or not', async () => {
        await rejectsWithCode(quick.get(id).chat(params('fake-slow')), ProviderErrorCode.TIMEOUT, id);
        await rejectsWithCode(drain(quick.get(id).streamChat(params('fake-slow'))), ProviderErrorCode.TIMEOUT, id);
      });

      it('aborting the signal mid-stream aborts upstream with ABORTED', async () => {
        const controller = new AbortController();
        let deltas = 0;
        const consume = async () => {
          for await (const event of provider().streamChat(params('fake-long', { signal: controller.signal }))) {
            if (event.type === 'text_delta' && ++deltas === 3) controller.abort();
          }
        };
        await rejectsWithCode(consume(), ProviderErrorCode.ABORTED, id);
        assert.ok(deltas >= 3 && deltas < 200, `stopped early (${deltas} deltas)`);
        const recorded = await fake.waitForRequest((r) => r.aborted && modelOf(r).includes('fake-long'));
        assert.equal(recorded.family, id);
      });

      it('a consumer that stops reading cancels the upstream request', async () => {
        let deltas = 0;
        for await (const event of provider().streamChat(params('fake-long'))) {
          if (event.type === 'text_delta' && ++deltas === 2) break;
        }
        await fake.waitForRequest((r) => r.aborted && modelOf(r).includes('fake-long'));
      });

      it(`sends per-call headers, and ${id === 'openrouter' ? "OpenRouter's attribution headers" : 'no OpenRouter attribution headers'}`, async () => {
        await provider().chat(params('fake-echo', { headers: { 'x-pantheon-test': id } }));
        const [request] = (await fake.requests()).filter((r) => r.method === 'POST');
        assert.ok(request);
        assert.equal(request.headers['x-pantheon-test'], id);
        if (id === 'openrouter') {
          assert.equal(request.headers['http-referer'], 'https://pantheon.test');
          assert.equal(request.headers['x-title'], 'Pantheon Tests');
        } else {
          assert.equal(request.headers['http-referer'], undefined);
          assert.equal(request.headers['x-title'], undefined);
        }
      });
    });
  }
});
