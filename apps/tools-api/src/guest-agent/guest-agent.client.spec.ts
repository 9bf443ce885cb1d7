import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FakeGuestAgent } from '../testing/fake-guest-agent';
import { GuestAgentClient, GuestAgentError, type GuestAgentErrorCode } from './guest-agent.client';

const TOKEN = 'gat_spec-token';
const token = (value: string | null) => ({ read: () => Promise.resolve(value) });

async function rejectsWith(promise: Promise<unknown>, code: GuestAgentErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GuestAgentError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.ok(!error.message.includes(TOKEN), 'the token never reaches a message');
    return true;
  });
}

describe('GuestAgentClient.call', () => {
  const agent = new FakeGuestAgent(TOKEN);
  /** Answers whatever the current test puts in `answer`, to break the protocol on purpose. */
  let answer: (body: { id: string }) => { status: number; body: string; delayMs?: number } = () => ({ status: 200, body: '{}' });
  let raw: Server;
  let rawUrl: URL;

  before(async () => {
    await agent.start();
    raw = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const reply = answer(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string });
        const timer = setTimeout(() => res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body), reply.delayMs ?? 0);
        res.once('close', () => clearTimeout(timer));
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    rawUrl = new URL(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`);
  });

  after(async () => {
    await agent.stop();
    raw.closeAllConnections();
    await new Promise((resolve) => raw.close(resolve));
  });

  const client = (value: string | null = TOKEN, url?: URL) =>
    new GuestAgentClient(url ?? new URL(`http://127.0.0.1:${agent.port}/`), 500, token(value));

  it('posts {id, ...params} with the bearer token and returns the result', async () => {
    const result = await client().call('exec', { shell: 'powershell', command: 'Get-Date' });
    assert.deepEqual(result, { exit_code: 0, stdout: 'Get-Date\n', stderr: '', timed_out: false, truncated: false });
    const last = agent.received.at(-1);
    assert.equal(last?.command, 'exec');
    assert.match(last?.id ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(last?.params, { shell: 'powershell', command: 'Get-Date' });
  });

  it("passes on the agent's error code and message", async () => {
    await rejectsWith(client().call('file_read', { path: 'C:\\nope.txt' }), 'not_found', /^file_read failed \(not_found\): no such file: C:\\nope\.txt$/);
  });

  it('fails without a token, and on a token the agent refuses', async () => {
    const before = agent.received.length;
    await rejectsWith(client(null).call('clipboard_get', {}), 'no_token', /guest agent token is not configured/);
    assert.equal(agent.received.length, before, 'nothing was sent without a token');
    await rejectsWith(client('gat_wrong').call('clipboard_get', {}), 'unauthorized', /refused the token for clipboard_get \(401\)/);
  });

  it('refuses answers for another id, malformed documents, oversized and late answers', async () => {
    const c = client(TOKEN, rawUrl);
    answer = () => ({ status: 200, body: JSON.stringify({ id: 'other', ok: true, result: {} }) });
    await rejectsWith(c.call('clipboard_get', {}), 'bad_response', /for another request id/);
    answer = ({ id }) => ({ status: 200, body: JSON.stringify({ id, ok: true, result: 'nope' }) });
    await rejectsWith(c.call('clipboard_get', {}), 'bad_response', /malformed document/);
    answer = () => ({ status: 502, body: '<html>' });
    await rejectsWith(c.call('clipboard_get', {}), 'bad_response', /answered clipboard_get with 502 and no protocol document/);
    answer = ({ id }) => ({ status: 200, body: JSON.stringify({ id, ok: true, result: { text: 'x'.repeat(9 * 1024 * 1024) } }) });
    await rejectsWith(c.call('clipboard_get', {}), 'too_large', /answer to clipboard_get is too large/);
    answer = ({ id }) => ({ status: 200, body: JSON.stringify({ id, ok: true, result: { text: '' } }), delayMs: 2_000 });
    await rejectsWith(c.call('clipboard_get', {}, { timeoutMs: 200 }), 'timeout', /did not answer clipboard_get within 200 ms/);
  });

  it('reports an unreachable agent', async () => {
    const down = new FakeGuestAgent(TOKEN);
    await down.start();
    const url = new URL(`http://127.0.0.1:${down.port}/`);
    await down.stop();
    await rejectsWith(client(TOKEN, url).call('windows_list', {}), 'unreachable', /guest agent is unreachable/);
  });
});
