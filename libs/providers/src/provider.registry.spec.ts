import { loadConfigSlice } from '@pantheon/config';
import assert from 'node:assert/strict';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AnthropicProvider } from './anthropic/anthropic.provider';
import { GoogleProvider } from './google/google.provider';
import { OpenAICompatibleProvider } from './openai/openai-compatible.provider';
import { PROVIDER_IDS } from './provider-ids';
import { ProviderError, ProviderErrorCode } from './provider.errors';
import { ProviderRegistry } from './provider.registry';
import { DEFAULT_BASE_URLS, providerSettingsFromConfig, ProviderSettings } from './provider.settings';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A loopback server answering chat completions, recording what it was sent. */
async function startRecorder(): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const chatParams = {
  apiKey: 'fk-registry-test-key',
  model: 'vendor/model',
  messages: [{ role: 'user' as const, content: 'hi' }],
  parameters: { max_tokens: 5, top_k: 3, repetition_penalty: 1.1 },
};

describe('ProviderRegistry', () => {
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let registry: ProviderRegistry;

  before(async () => {
    recorder = await startRecorder();
    const settings: ProviderSettings = {
      baseUrls: {
        ...DEFAULT_BASE_URLS,
        openai: `${recorder.url}/openai/v1`,
        openrouter: `${recorder.url}/openrouter/api/v1`,
        together: `${recorder.url}/together/v1`,
      },
      timeoutMs: 5_000,
      openRouter: { referer: 'https://pantheon.example', title: 'Pantheon Test' },
    };
    registry = new ProviderRegistry(settings);
  });

  after(() => new Promise<void>((resolve) => recorder.server.close(() => resolve())));

  it('has an adapter of the right family for every provider id', () => {
    for (const id of PROVIDER_IDS) assert.equal(registry.get(id).id, id);
    assert.ok(registry.get('anthropic') instanceof AnthropicProvider);
    assert.ok(registry.get('google') instanceof GoogleProvider);
    assert.ok(registry.get('xai') instanceof OpenAICompatibleProvider);
  });

  it('resolves model refs to an adapter and the provider’s model id', () => {
    const { provider, model } = registry.resolve('openrouter/openai/gpt-4o');
    assert.equal(provider.id, 'openrouter');
    assert.equal(model, 'openai/gpt-4o');
    assert.equal(registry.resolve('gpt-4o').provider.id, 'openrouter');
  });

  it("sends OpenRouter's HTTP-Referer and X-Title, and the key as a bearer token", async () => {
    recorder.seen.length = 0;
    await registry.get('openrouter').chat(chatParams);
    const [request] = recorder.seen;
    assert.equal(request?.path, '/openrouter/api/v1/chat/completions');
    assert.equal(request?.headers['http-referer'], 'https://pantheon.example');
    assert.equal(request?.headers['x-title'], 'Pantheon Test');
    assert.equal(request?.headers.authorization, 'Bearer fk-registry-test-key');
    assert.equal(request?.body.model, 'vendor/model');
    assert.equal(request?.body.top_k, 3, 'OpenRouter accepts top_k');
    assert.equal(request?.body.max_tokens, 5);
  });

  it('sends no attribution headers to other families, and only OpenAI-known parameters to OpenAI', async () => {
    recorder.seen.length = 0;
    await registry.get('openai').chat(chatParams);
    await registry.get('together').chat({ ...chatParams, headers: { 'x-extra': '1' } });
    const [openai, together] = recorder.seen;
    for (const request of [openai, together]) {
      assert.equal(request?.headers['http-referer'], undefined);
      assert.equal(request?.headers['x-title'], undefined);
    }
    assert.equal(openai?.body.max_completion_tokens, 5);
    assert.equal(openai?.body.max_tokens, undefined);
    assert.equal(openai?.body.top_k, undefined);
    assert.equal(openai?.body.repetition_penalty, undefined);
    assert.equal(together?.body.max_tokens, 5);
    assert.equal(together?.body.top_k, 3);
    assert.equal(together?.headers['x-extra'], '1', 'per-call headers');
  });

  it('uses a call’s own base URL, which the custom family requires', async () => {
    await assert.rejects(
      registry.get('custom').chat(chatParams),
      (e: unknown) => e instanceof ProviderError && e.code === ProviderErrorCode.BAD_REQUEST && /base URL/.test(e.message),
    );
    recorder.seen.length = 0;
    await registry.get('custom').chat({ ...chatParams, baseUrl: `${recorder.url}/mine/v1` });
    assert.equal(recorder.seen[0]?.path, '/mine/v1/chat/completions');
  });

  it('leaves OpenRouter attribution out when it is not configured', async () => {
    const plain = new ProviderRegistry({
      baseUrls: { ...DEFAULT_BASE_URLS, openrouter: `${recorder.url}/openrouter/api/v1` },
      timeoutMs: 5_000,
      openRouter: {},
    });
    recorder.seen.length = 0;
    await plain.get('openrouter').chat(chatParams);
    assert.equal(recorder.seen[0]?.headers['http-referer'], undefined);
    assert.equal(recorder.seen[0]?.headers['x-title'], undefined);
  });
});

describe('providerSettingsFromConfig', () => {
  const vars = [
    'OPENAI_BASE_URL',
    'OPENROUTER_BASE_URL',
    'ANTHROPIC_BASE_URL',
    'GOOGLE_AI_BASE_URL',
    'TOGETHER_BASE_URL',
    'XAI_BASE_URL',
    'OPENROUTER_REFERER',
    'OPENROUTER_TITLE',
    'PROVIDER_TIMEOUT_MS',
  ] as const;

  it('defaults to the real provider endpoints, a 60 s timeout and the Pantheon title', () => {
    const settings = providerSettingsFromConfig(loadConfigSlice(vars, {}));
    assert.deepEqual(settings, {
      baseUrls: DEFAULT_BASE_URLS,
      timeoutMs: 60_000,
      openRouter: { referer: undefined, title: 'Pantheon' },
    });
  });

  it('takes overrides and rejects a base URL that is not http(s)', () => {
    const settings = providerSettingsFromConfig(
      loadConfigSlice(vars, { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENROUTER_REFERER: 'https://app.example', PROVIDER_TIMEOUT_MS: '1500' }),
    );
    assert.equal(settings.baseUrls.openai, 'http://127.0.0.1:9/v1');
    assert.equal(settings.openRouter.referer, 'https://app.example');
    assert.equal(settings.timeoutMs, 1500);
    assert.throws(() => loadConfigSlice(vars, { ANTHROPIC_BASE_URL: 'ftp://example.com' }), /ANTHROPIC_BASE_URL/);
  });
});
