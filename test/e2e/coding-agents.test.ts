/**
 * Real coding-agent clients against the gateway: Claude Code (`claude -p`, @anthropic-ai/claude-code) and Codex
 * (`codex exec`, @openai/codex), the vendors' own binaries from npm (devDependencies; their wrappers find the
 * platform binary without an install script), pointed at the platform's gateway with a project token as a VM
 * gives it to them; the gateway routes to the fake providers.
 *
 * Network: loopback only. Every variable that stops a client phoning home is set, and every proxy variable points
 * at a sentinel that refuses and records any request that is not for loopback, so a client that tries to reach
 * anything else fails its test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createProject, createUser, TestUser } from '../factories';
import { eventually } from '../support/eventually';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { fakeProviderKey, FakeProviders, startFakeProviders } from '../support/fake-providers';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

/** The npm wrappers' own launchers: they spawn the platform package's binary (no postinstall needed). */
const CLAUDE = require.resolve('@anthropic-ai/claude-code/cli-wrapper.cjs');
const CODEX = require.resolve('@openai/codex/bin/codex.js');

interface Sentinel {
  url: string;
  attempts: string[];
  close(): Promise<void>;
}

/** A proxy that refuses everything and remembers what was asked (CONNECT host:port, or the absolute URL). */
async function sentinelProxy(): Promise<Sentinel> {
  const attempts: string[] = [];
  const server: Server = createServer((req, res) => {
    attempts.push(`${req.method} ${req.url}`);
    res.writeHead(403).end();
  });
  server.on('connect', (req, socket) => {
    attempts.push(`CONNECT ${req.url}`);
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attempts,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function run(args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('real coding-agent clients through the gateway (Claude Code, Codex)', () => {
  let issuer: OidcIssuerHandle;
  let fakes: FakeProviders;
  let api: TestApi;
  let url: string;
  let alice: TestUser;
  let projectId: string;
  let token: string;
  let proxy: Sentinel;
  let home: string;
  const ownerKey = fakeProviderKey('agents-anthropic');
  const admin = adminPool();

  before(async () => {
    issuer = await startOidcIssuer();
    fakes = await startFakeProviders();
    api = await startTestApi(issuer, {
      ...fakes.providerEnv,
      PROVIDER_TIMEOUT_MS: '10000',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:agents`,
    });
    url = await api.listen();
    alice = await createUser(api, issuer, 'agents-alice');
    await api.as(alice).post('/api/user/api-keys').send({ name: 'anthropic', provider: 'anthropic', key: ownerKey }).expect(201);
    await api.as(alice).post('/api/user/api-keys').send({ name: 'openai', provider: 'openai', key: fakeProviderKey('agents-openai') }).expect(201);
    projectId = (await createProject(api, alice, { name: 'Agents' })).id;
    // Whatever Claude model the client names lands on the fake; `agent-tool` is a model that calls the first tool.
    await api.as(alice).put(`/api/projects/${projectId}/gateway`).send({
      default_model: 'anthropic/fake-echo',
      small_model: 'anthropic/fake-echo',
      reasoning_model: 'anthropic/fake-echo',
      aliases: { 'agent-tool': 'anthropic/fake-tool', 'gpt-agent': 'openai/fake-echo' },
    }).expect(200);
    token = (await api.as(alice).post(`/api/projects/${projectId}/tokens`).send({ name: 'agent' }).expect(201)).body.token;
    proxy = await sentinelProxy();
    home = mkdtempSync(join(tmpdir(), 'pantheon-agents-'));
    mkdirSync(join(home, '.codex'));
  });

  beforeEach(async () => {
    proxy.attempts.length = 0;
    await fakes.reset();
  });

  after(async () => {
    rmSync(home, { recursive: true, force: true });
    await proxy?.close();
    await api?.close();
    await admin.query('delete from projects where owner_id = $1', [alice?.id]).catch(() => undefined);
    await fakes?.stop();
    await issuer?.stop();
    await admin.end();
  });

  /** Loopback only: everything else goes to the sentinel. */
  const offline = () => ({
    PATH: '/usr/bin:/bin',
    HOME: home,
    HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, ALL_PROXY: proxy.url,
    https_proxy: proxy.url, http_proxy: proxy.url, all_proxy: proxy.url,
    NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost',
  });

  /** What the VM's environment gives Claude Code, plus its documented switches for telemetry and updates. */
  const claudeEnv = () => ({
    ...offline(),
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_API_KEY: token,
    ANTHROPIC_AUTH_TOKEN: token,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
  });

  // Usage is written in batches: flush the API's queue first.
  const usageRows = async () => {
    await api.flushUsage();
    return (await admin.query('select provider, model, requested_model, status from usage_events where project_id = $1 order by id', [projectId])).rows;
  };

  it('Claude Code answers through the gateway (Anthropic Messages with its betas, routed by the project)', async () => {
    const before = (await usageRows()).length;
    const result = await run([CLAUDE, '-p', 'Reply with the word pineapple', '--output-format', 'json'], claudeEnv(), 120_000);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const answer = JSON.parse(result.stdout) as { is_error: boolean; result: string };
    assert.equal(answer.is_error, false);
    assert.match(answer.result, /^echo: [\s\S]*Reply with the word pineapple$/);
    const upstream = (await fakes.requests()).filter((r) => r.family === 'anthropic');
    assert.ok(upstream.length >= 1);
    for (const r of upstream) {
      assert.match(r.path, /^\/anthropic\/v1\/messages\?beta=true$/);
      assert.equal((r.body as { model: string }).model, 'fake-echo');
      assert.match(String(r.headers['anthropic-beta']), /claude-code-/, 'its betas pass through');
      const credentials = [r.headers['x-api-key'], r.headers.authorization].map(String);
      assert.ok(credentials.some((v) => v.includes(ownerKey)), "the owner's key upstream");
      assert.ok(credentials.every((v) => !v.includes(token)), 'never the project token');
    }
    const rows = await eventually(async () => {
      const added = (await usageRows()).slice(before);
      return added.length > 0 ? added : undefined;
    }, 10_000, "Claude Code's usage rows");
    assert.ok(rows.length >= 1 && rows.every((r) => r.provider === 'anthropic' && r.status === 'ok' && /^claude-/.test(r.requested_model)), JSON.stringify(rows));
    assert.deepEqual(proxy.attempts, [], 'no traffic besides loopback');
  });

  it('Claude Code runs a tool-use turn through the gateway (tool_use out, tool_result back)', async () => {
    const result = await run([CLAUDE, '-p', 'Use a tool', '--model', 'agent-tool', '--output-format', 'json', '--max-turns', '3'], claudeEnv(), 120_000);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const answer = JSON.parse(result.stdout) as { result: string; num_turns: number };
    assert.match(answer.result, /^tool said: /, result.stdout);
    const upstream = (await fakes.requests()).filter((r) => r.family === 'anthropic' && (r.body as { model: string }).model === 'fake-tool');
    assert.ok(upstream.length >= 2, `a second request carries the tool result (${upstream.length})`);
    const last = upstream[upstream.length - 1]!.body as { messages: { role: string; content: unknown }[] };
    assert.ok(JSON.stringify(last.messages).includes('"tool_result"'));
    assert.deepEqual(proxy.attempts, [], 'no traffic besides loopback');
  });

  it('Codex answers through the gateway (OpenAI Responses, streamed)', async () => {
    // Codex reads its provider from config (OPENAI_BASE_URL alone still sent it to api.openai.com): the gateway as a
    // Responses provider, no WebSocket, and every background feature that calls OpenAI, ChatGPT or GitHub off.
    const provider = `{ name = "Pantheon", base_url = "${url}/v1", env_key = "OPENAI_API_KEY", wire_api = "responses", supports_websockets = false, request_max_retries = 0, stream_max_retries = 0 }`;
    const off = ['plugins', 'remote_plugin', 'apps', 'api_key_model_discovery', 'in_app_updates', 'plugin_sharing', 'skill_mcp_dependency_install'];
    const result = await run([
      CODEX, 'exec', '--skip-git-repo-check',
      '-c', 'model_provider="pantheon"',
      '-c', `model_providers.pantheon=${provider}`,
      '-c', 'check_for_update_on_startup=false',
      '-c', 'analytics.enabled=false',
      '-c', 'feedback.enabled=false',
      ...off.flatMap((f) => ['-c', `features.${f}=false`]),
      '-m', 'gpt-agent', 'Reply with the word pineapple',
    ], { ...offline(), OPENAI_BASE_URL: `${url}/v1`, OPENAI_API_KEY: token, CODEX_HOME: join(home, '.codex') }, 120_000);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.equal(result.stdout.trim(), 'echo: Reply with the word pineapple');
    const upstream = (await fakes.requests()).filter((r) => r.family === 'openai');
    assert.ok(upstream.some((r) => /\/openai\/v1\/chat\/completions$/.test(r.path) && (r.body as { model: string }).model === 'fake-echo'));
    // Codex hangs up as soon as response.completed arrives: the call still counts as done, with its usage (written
    // when the server sees the stream end, which may be just after the client has gone).
    const last = await eventually(async () => (await usageRows()).find((r) => r.requested_model === 'gpt-agent'), 10_000, "Codex's usage row");
    assert.equal(last.status, 'ok');
    assert.deepEqual(proxy.attempts, [], 'no traffic besides loopback');
  });
});
