import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { byteLimit, lineLimit } from './bounded-body';
import { OutboundError, OutboundErrorCode } from './outbound.errors';
import { OutboundPolicy } from './outbound.policy';

// An in-process zone: the e2e suite resolves through a real DNS server; here only the policy's logic is under test.
const zone: Record<string, string[]> = {
  'public.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'mixed.example': ['93.184.216.34', '10.0.0.5'],
  'models.internal': ['192.168.7.7'],
  'sneaky.internal': ['10.0.1.4'],
  'empty.example': [],
};
const resolved: string[] = [];
const policy = new OutboundPolicy(
  {
    allowHosts: 'models.internal,sneaky.internal,10.9.0.0/16',
    denied: [{ range: 'platform', label: 'an address of the platform network (10.0.1.0/24)', cidr: '10.0.1.0/24' }],
    dnsServers: [],
    maxBodyBytes: 1024,
    maxSseLineBytes: 16,
  },
  async (name) => {
    resolved.push(name);
    if (name === 'broken.example') throw Object.assign(new Error('query refused'), { code: 'EREFUSED' });
    return zone[name] ?? [];
  },
);
after(() => policy.close());

async function refusal(url: string): Promise<OutboundError> {
  const err = await policy.check(url, 'base_url').then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof OutboundError, `${url} passed`);
  return err;
}

describe('OutboundPolicy.check', () => {
  it('checks literals as WHATWG URL normalises them, without resolving anything', async () => {
    resolved.length = 0;
    for (const url of ['http://2130706433/', 'http://0x7f000001/', 'http://0177.0.0.1/', 'http://127.1/', 'http://[::ffff:127.0.0.1]/', 'http://[::1]/']) {
      const err = await refusal(url);
      assert.equal(err.code, OutboundErrorCode.ADDRESS_NOT_ALLOWED, url);
      assert.match(err.message, /^base_url resolves to a loopback address \(.+\), which is not allowed$/, url);
    }
    assert.deepEqual(resolved, []);
    assert.deepEqual(await policy.check('https://10.9.3.4/v1', 'base_url'), ['10.9.3.4']);
  });

  it('refuses localhost names without asking the resolver, and a trailing dot changes nothing', async () => {
    resolved.length = 0;
    for (const url of ['http://localhost/', 'http://localhost./', 'http://a.b.localhost/']) {
      assert.equal((await refusal(url)).code, OutboundErrorCode.ADDRESS_NOT_ALLOWED, url);
    }
    assert.deepEqual(resolved, []);
  });

  it('resolves names and refuses when any address is internal', async () => {
    assert.deepEqual(await policy.check('https://public.example./v1', 'base_url'), zone['public.example']);
    assert.equal((await refusal('https://mixed.example/v1')).message, 'base_url resolves to a private (RFC 1918) address (10.0.0.5), which is not allowed');
  });

  it('trusts allowlisted names, except inside the platform network', async () => {
    assert.deepEqual(await policy.check('http://MODELS.internal:11434/v1', 'base_url'), ['192.168.7.7']);
    assert.match((await refusal('http://sneaky.internal/v1')).message, /platform network \(10\.0\.1\.0\/24\)/);
  });

  it('names unresolvable hosts, bad schemes and credentials', async () => {
    assert.equal((await refusal('http://empty.example/')).message, 'base_url host empty.example does not resolve to an address');
    assert.equal((await refusal('http://broken.example/')).message, 'base_url host broken.example could not be resolved');
    assert.equal((await refusal('ftp://public.example/')).code, OutboundErrorCode.INVALID_URL);
    assert.equal((await refusal('not a url')).code, OutboundErrorCode.INVALID_URL);
    assert.equal((await refusal('http://u:p@public.example/')).message, 'base_url must not contain credentials (user:password@)');
  });
});

async function pipe(chunks: string[], transform: TransformStream<Uint8Array, Uint8Array>): Promise<string> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });
  let text = '';
  for await (const chunk of source.pipeThrough(transform)) text += new TextDecoder().decode(chunk);
  return text;
}

describe('body limits', () => {
  const fail = () => new OutboundError(OutboundErrorCode.RESPONSE_TOO_LARGE, 'too large');

  it('passes a body up to the byte limit and errors past it', async () => {
    assert.equal(await pipe(['abcd', 'efgh'], byteLimit(8, fail)), 'abcdefgh');
    await assert.rejects(pipe(['abcd', 'efgh', 'i'], byteLimit(8, fail)), /too large/);
  });

  it('bounds the bytes since the last line break (LF, CR or CRLF), across chunks', async () => {
    const ok = ['data: 12345\n', '\ndata: 1234', '5\r\n\r', 'data: 12345\r'];
    assert.equal(await pipe(ok, lineLimit(11, fail)), ok.join(''));
    await assert.rejects(pipe(['data: 123', '456\n'], lineLimit(11, fail)), /too large/);
    await assert.rejects(pipe(['\n\ndata: 123456789\n'], lineLimit(11, fail)), /too large/);
  });
});
