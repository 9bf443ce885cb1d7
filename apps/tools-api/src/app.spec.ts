import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createToolsApiServer } from './app';
import type { ToolsApiConfig } from './config/tools-api.config';
import { JsonLogger } from './logging/json-logger';
import { AGENT_HEALTH, AGENT_INFO, FakeVm } from './testing/fake-vm';

const PROJECT_ID = '0b6f1c52-3f5e-4c1e-9a8e-2f1d6c7b8a90';
const CANARY = 'Bearer canary-4b1d0c';
const CREDENTIAL = 'tac_spec-credential-0123456789abcdefghijklmnopqrstu';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

describe('tools API server', () => {
  let vm: FakeVm;
  let server: Server;
  let base: string;
  const logLines: string[] = [];
  const secrets = mkdtempSync(join(tmpdir(), 'tools-api-spec-'));
  const credentialFile = join(secrets, 'api-credential');
  const tokenFile = join(secrets, 'project-token');
  const authorized = { authorization: `Bearer ${CREDENTIAL}` };

  /** Replaces a secret file the way the worker does (a new file renamed over the old one). */
  function rewrite(file: string, value: string): void {
    writeFileSync(`${file}.tmp`, value, { mode: 0o400 });
    renameSync(`${file}.tmp`, file);
  }

  /** One request, no keep-alive, so closing the server never waits on an idle socket. Authorized unless told. */
  function call(method: string, path: string, headers: Record<string, string> = authorized): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(`${base}${path}`, { method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }

  async function getJson(path: string): Promise<{ status: number; body: unknown }> {
    const answer = await call('GET', path);
    assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
    return { status: answer.status, body: JSON.parse(answer.text) as unknown };
  }

  before(async () => {
    vm = await FakeVm.start();
    const config: ToolsApiConfig = {
      projectId: PROJECT_ID,
      vmHost: '127.0.0.1',
      vmViewerPort: vm.viewerPort,
      guestAgentPort: vm.agentPort,
      vmVncPort: 5900,
      screenshotMaxWidth: 1280,
      port: 0,
      host: '127.0.0.1',
      healthTimeoutMs: 300,
      projectTokenFile: tokenFile,
      credentialFile,
      guestAgentTokenFile: null,
      gatewayUrl: null,
    };
    rewrite(credentialFile, CREDENTIAL);
    rewrite(tokenFile, 'pt_spec-token');
    server = createToolsApiServer(config, new JsonLogger({ write: (line: string) => logLines.push(line) }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => vm.reset());
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await vm.close();
    rmSync(secrets, { recursive: true, force: true });
  });

  it('GET /health answers 200 ok with the VM parts when the VM is up', async () => {
    assert.deepEqual(await getJson('/health'), {
      status: 200,
      body: { status: 'ok', project_id: PROJECT_ID, gateway_token: 'present', vm: { viewer: 'up', agent: 'up', agent_info: AGENT_HEALTH } },
    });
  });

  it('GET /health answers 503 degraded when a VM part is down', async () => {
    vm.set('viewer /health', { status: 502, body: '' });
    assert.deepEqual(await getJson('/health'), {
      status: 503,
      body: {
        status: 'degraded',
        project_id: PROJECT_ID,
        gateway_token: 'present',
        vm: { viewer: 'down', agent: 'up', agent_info: AGENT_HEALTH },
      },
    });
  });

  it('GET /live answers 200 without asking the VM, and without a credential', async () => {
    vm.received.length = 0;
    vm.set('viewer /health', { status: 500, body: '' });
    assert.deepEqual(await getJson('/live'), { status: 200, body: { status: 'ok' } });
    const anonymous = await call('GET', '/live', {});
    assert.equal(anonymous.status, 200);
    assert.deepEqual(vm.received, []);
  });

  it('answers 401 JSON on every other path without the right bearer credential, before routing', async () => {
    vm.received.length = 0;
    const unauthorized = { statusCode: 401, error: 'Unauthorized' };
    const refused: Record<string, string>[] = [
      {},
      { authorization: CREDENTIAL },
      { authorization: 'Bearer tac_wrong' },
      { authorization: `Bearer ${CREDENTIAL}x` },
      { authorization: `Basic ${CREDENTIAL}` },
    ];
    for (const path of ['/health', '/vm/info', '/mcp', '/nope', '/live/']) {
      for (const headers of refused) {
        const answer = await call('GET', path, headers);
        assert.equal(answer.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
        assert.deepEqual({ ...(JSON.parse(answer.text) as object), message: undefined }, { ...unauthorized, message: undefined });
      }
    }
    assert.equal((await call('POST', '/health', {})).status, 401);
    for (const method of ['POST', 'DELETE']) {
      for (const headers of refused) assert.equal((await call(method, '/mcp', headers)).status, 401, `${method} /mcp`);
    }
    assert.deepEqual(vm.received, [], 'nothing reached the VM');
  });

  it('follows a rewritten credential file, and refuses everyone while it is missing', async () => {
    const next = 'tac_spec-next-credential-zyxwvutsrqponmlkjihgfedcba98';
    try {
      rewrite(credentialFile, next);
      assert.equal((await call('GET', '/vm/info')).status, 401, 'the previous credential is refused');
      assert.equal((await call('GET', '/vm/info', { authorization: `Bearer ${next}` })).status, 200);
      unlinkSync(credentialFile);
      assert.equal((await call('GET', '/vm/info', { authorization: `Bearer ${next}` })).status, 401, 'fail closed');
    } finally {
      rewrite(credentialFile, CREDENTIAL);
    }
    assert.equal((await call('GET', '/vm/info')).status, 200);
  });

  it('reports the gateway token file in /health, and follows its renewal', async () => {
    try {
      unlinkSync(tokenFile);
      assert.deepEqual(((await getJson('/health')).body as { gateway_token: string }).gateway_token, 'missing');
      assert.equal((await getJson('/health')).status, 503);
    } finally {
      rewrite(tokenFile, 'pt_spec-renewed');
    }
    assert.equal((await getJson('/health')).status, 200);
  });

  it("GET /vm/info proxies the guest agent's /info", async () => {
    assert.deepEqual(await getJson('/vm/info'), { status: 200, body: AGENT_INFO });
  });

  it('GET /vm/info answers 502 when the agent fails, times out or answers garbage', async () => {
    const cases = [
      [{ status: 500, body: '{}' }, 'guest agent answered 500'],
      [{ status: 200, body: '{}', delayMs: 3_000 }, 'guest agent did not answer within 300 ms'],
      [{ status: 200, body: 'not json' }, 'guest agent answer is not a JSON object'],
    ] as const;
    for (const [answer, message] of cases) {
      vm.set('agent /info', answer);
      assert.deepEqual(await getJson('/vm/info'), {
        status: 502,
        body: { statusCode: 502, error: 'Bad Gateway', message },
      });
    }
  });

  it('answers 404 in the platform error shape for unknown paths and methods', async () => {
    assert.deepEqual(await getJson('/nope'), {
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'Cannot GET /nope' },
    });
    assert.equal((await getJson('/health/')).status, 404);
    const post = await call('POST', '/health');
    assert.equal(post.status, 404);
    assert.deepEqual(JSON.parse(post.text), { statusCode: 404, error: 'Not Found', message: 'Cannot POST /health' });
  });

  it('answers HEAD like GET, without a body', async () => {
    const head = await call('HEAD', '/live');
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
  });

  it('logs one JSON line per request with method, path, status and duration, never headers or queries', async () => {
    logLines.length = 0;
    const answer = await call('GET', '/live?token=query-canary', { authorization: CANARY, cookie: CANARY });
    assert.equal(answer.status, 200);
    // The line is written when the server side of the response closes, which can trail the client's 'end'.
    for (let tick = 0; logLines.length === 0 && tick < 100; tick++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(logLines.length, 1);
    const line = JSON.parse(logLines[0] ?? '') as Record<string, unknown>;
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'request');
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/live');
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, 'number');
    assert.equal(line.request_id, answer.headers['x-request-id']);
    for (const secret of ['canary-4b1d0c', 'query-canary', 'authorization', 'cookie']) {
      assert.ok(!logLines[0]?.toLowerCase().includes(secret), `log line contains ${secret}`);
    }
  });
});
