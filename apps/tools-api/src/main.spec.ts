import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { closedPort, FakeVm } from './testing/fake-vm';

// The compiled entry point beside this compiled spec: what the image runs.
const MAIN = path.join(__dirname, 'main.js');
const PROJECT_ID = '0b6f1c52-3f5e-4c1e-9a8e-2f1d6c7b8a90';
const SECRETS = mkdtempSync(path.join(tmpdir(), 'tools-api-main-'));
const CREDENTIAL = 'tac_main-spec-credential';
const FILES = {
  PANTHEON_PROJECT_TOKEN_FILE: path.join(SECRETS, 'project-token'),
  PANTHEON_API_CREDENTIAL_FILE: path.join(SECRETS, 'api-credential'),
};
writeFileSync(FILES.PANTHEON_PROJECT_TOKEN_FILE, 'pt_main-spec', { mode: 0o400 });
writeFileSync(FILES.PANTHEON_API_CREDENTIAL_FILE, CREDENTIAL, { mode: 0o400 });

/** Runs main.js with exactly `env` (nothing inherited) and returns how it ended. */
function runToExit(env: Record<string, string>): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [MAIN], { env, encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, stdout: result.stdout };
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers: { authorization: `Bearer ${CREDENTIAL}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

describe('tools API process', () => {
  let vm: FakeVm;

  before(async () => {
    vm = await FakeVm.start();
  });
  after(async () => {
    await vm.close();
    rmSync(SECRETS, { recursive: true, force: true });
  });

  it('exits 1 naming the bad variable', () => {
    const { status, stdout } = runToExit({ PROJECT_ID, VM_HOST: 'vm.internal', ...FILES });
    assert.equal(status, 1);
    const line = JSON.parse(stdout.trim()) as Record<string, unknown>;
    assert.equal(line.level, 'error');
    assert.equal(line.msg, 'invalid configuration: VM_HOST must be an IPv4 address');
    assert.equal(line.variables, 'VM_HOST');
  });

  it('refuses to start with a secret-like variable and never prints its value', () => {
    const canary = 'sk-canary-91ee0d';
    const { status, stdout } = runToExit({ PROJECT_ID, VM_HOST: '127.0.0.1', OPENAI_API_KEY: canary });
    assert.equal(status, 1);
    assert.match(stdout, /refusing to start: OPENAI_API_KEY looks like a secret/);
    assert.ok(!stdout.includes(canary));
  });

  it('finishes an in-flight request on SIGTERM, then exits 0', async () => {
    const port = await closedPort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PROJECT_ID,
        VM_HOST: '127.0.0.1',
        VM_VIEWER_PORT: String(vm.viewerPort),
        GUEST_AGENT_PORT: String(vm.agentPort),
        HOST: '127.0.0.1',
        PORT: String(port),
        ...FILES,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const messages: string[] = [];
      const listening = new Promise<void>((resolve) =>
        createInterface({ input: child.stdout }).on('line', (line) => {
          const msg = String((JSON.parse(line) as { msg: unknown }).msg);
          messages.push(msg);
          if (msg === 'listening') resolve();
        }),
      );
      const early = exited.then((code) => assert.fail(`exited with ${String(code)} before listening`));
      await Promise.race([listening, early]);

      // Slow enough that SIGTERM arrives while /health still waits for the agent.
      vm.set('agent /health', { status: 200, body: '{}', delayMs: 500 });
      vm.received.length = 0;
      const inFlight = getStatus(`http://127.0.0.1:${port}/health`);
      while (!vm.received.includes('agent GET /health')) await new Promise((r) => setTimeout(r, 10));
      child.kill('SIGTERM');

      assert.equal(await inFlight, 200);
      assert.equal(await exited, 0);
      assert.deepEqual(messages.slice(-3), ['stopping', 'request', 'stopped']);
    } finally {
      child.kill('SIGKILL');
      vm.reset();
    }
  });
});
