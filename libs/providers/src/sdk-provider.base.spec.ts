import assert from 'node:assert/strict';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it, mock } from 'node:test';
import type OpenAI from 'openai';
import { OpenAICompatibleProvider } from './openai/openai-compatible.provider';
import type { ProviderCallParams } from './provider';

/** Counts the SDK clients it builds; everything else is the real adapter. */
class CountingProvider extends OpenAICompatibleProvider {
  built = 0;
  protected override client(p: ProviderCallParams): OpenAI {
    this.built += 1;
    return super.client(p);
  }
}

describe('SdkProvider reuses SDK clients per key, base URL and fetch', () => {
  let server: Server;
  let origin = '';
  /** The bearer of every request the loopback upstream got, in order. */
  const bearers: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      bearers.push(req.headers.authorization ?? '');
      req.resume().on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const ask = (provider: CountingProvider, extra: Partial<ProviderCallParams>) =>
    provider.chat({ apiKey: 'fk-a-key-for-tests', model: 'm', messages: [{ role: 'user', content: 'hi' }], parameters: {}, ...extra });

  it('builds one client per key, never sends a key with another key\'s client, and rebuilds after the TTL', async () => {
    const provider = new CountingProvider('openai', { baseUrl: `${origin}/v1` });
    bearers.length = 0;
    await ask(provider, {});
    await ask(provider, {});
    assert.equal(provider.built, 1, 'the same key reuses its client');
    await ask(provider, { apiKey: 'fk-b-key-for-tests' });
    await ask(provider, {});
    assert.equal(provider.built, 2, 'a second key gets its own client; the first is still cached');
    assert.deepEqual(bearers, ['Bearer fk-a-key-for-tests', 'Bearer fk-a-key-for-tests', 'Bearer fk-b-key-for-tests', 'Bearer fk-a-key-for-tests']);

    await ask(provider, { baseUrl: `${origin}/v1/` });
    assert.equal(provider.built, 3, 'another base URL is another client');
    const ownFetch: typeof fetch = (input, init) => fetch(input, init);
    await ask(provider, { fetch: ownFetch });
    await ask(provider, { fetch: ownFetch });
    assert.equal(provider.built, 4, 'a caller fetch (the outbound policy) is part of what a client is');

    mock.timers.enable({ apis: ['Date'], now: Date.now() + 5 * 60_000 + 1 });
    try {
      await ask(provider, {});
      assert.equal(provider.built, 5, 'past its TTL a client is built again');
      await ask(provider, { apiKey: 'fk-b-key-for-tests' });
      assert.equal(provider.built, 6, 'so is every other expired one');
    } finally {
      mock.timers.reset();
    }
  });
});
