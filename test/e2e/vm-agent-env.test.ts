/**
 * The VM is ready for coding agents: once a project runs (real API and worker, real engine, stand-in VM with the
 * real guest agent and its Linux adapter), the VM user's environment names the gateway for both client families
 * and holds a short-lived project token (kind `vm`) that the tools API got from the API and renews past
 * half-life. A new login shell in the VM (through MCP's `shell` tool) sees it; the token works at the gateway; a
 * renewed token replaces it and the old one expires; deleting the project revokes it.
 *
 * The tools container reaches the API through a TCP relay this test opens on the tools network's host address
 * (the production API sits on each project network at .3 instead). Network rule: loopback and this suite's
 * containers and networks only.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createTcpServer, connect, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { KeyRing, toolsApiCredential } from '@pantheon/crypto';
import { containerName, DockerRuntime } from '@pantheon/runtime';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { eventually } from '../support/eventually';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { runtimeTestEnv, RuntimeTestEnv, stopProjectSuite } from '../support/runtime-env';
import { startTestWorker, TestWorker } from '../support/worker';

const runtime = new DockerRuntime();
const VM_TOKEN_TTL_S = 60;

type ToolResult = { content: { type: string; text?: string }[]; isError?: boolean };
const texts = (r: ToolResult) => r.content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n');

/** A free TCP port on loopback (closed again; the relay binds the same number on the tools network's address). */
async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Relays TCP from host:port to the API on loopback. */
async function relay(host: string, port: number, target: number): Promise<Server> {
  const server = createTcpServer((inbound) => {
    const outbound = connect(target, '127.0.0.1');
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}

describe("the VM's environment for coding agents (gateway URLs and a short-lived, renewed project token)", () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let api: TestApi;
  let worker: TestWorker;
  let alice: TestUser;
  let bob: TestUser;
  let tcpRelay: Server | undefined;
  let relayHost: string;
  let relayPort: number;
  const admin = adminPool();
  let project: { id: string; toolsUrl: string };
  let tools: Client;
  let first: { anthropicBase: string; openaiBase: string; anthropicKey: string; openaiKey: string; expiresAt: string; authToken: string };

  const call = async (name: string, args: Record<string, unknown>) =>
    (await tools.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as ToolResult;

  /** What a fresh login shell in the VM sees: `env -i` drops the agent's own environment, so only ~/.profile speaks. */
  const loginShellEnv = async () => {
    const r = await call('shell', {
      command: `env -i HOME=/root PATH=/usr/bin:/bin sh -lc 'printf "<<%s|%s|%s|%s|%s|%s>>" "$ANTHROPIC_BASE_URL" "$OPENAI_BASE_URL" "$ANTHROPIC_API_KEY" "$OPENAI_API_KEY" "$PANTHEON_GATEWAY_TOKEN_EXPIRES_AT" "$ANTHROPIC_AUTH_TOKEN"'`,
    });
    assert.notEqual(r.isError, true, texts(r));
    const m = /<<([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)>>/.exec(texts(r));
    assert.ok(m, texts(r));
    return { anthropicBase: m[1]!, openaiBase: m[2]!, anthropicKey: m[3]!, openaiKey: m[4]!, expiresAt: m[5]!, authToken: m[6]! };
  };

  const models = (token: string) => fetch(`${api.url()}/v1/models`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('vmenv');
    relayHost = rt.env.TOOLS_SUBNET.replace(/\.0\/24$/, '.1');
    relayPort = await freePort();
    const env = {
      ...rt.env,
      GATEWAY_URL_FOR_PROJECTS: `http://${relayHost}:${relayPort}/v1`,
      VM_TOKEN_TTL_S: String(VM_TOKEN_TTL_S),
      PROVISION_HEALTH_TIMEOUT_MS: '60000',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:vmenv`,
    };
    api = await startTestApi(issuer, env);
    await api.listen();
    worker = await startTestWorker(env);
    alice = await createUser(api, issuer, 'vmenv-a');
    bob = await createUser(api, issuer, 'vmenv-b');
    const p = await createProject(api, alice, { name: 'Agents VM' });
    await api.as(alice).waitForProject(p.id, 'running', { logs: worker.logs });
    // The tools network (and so its host address) exists once the first project is built.
    tcpRelay = await relay(relayHost, relayPort, Number(new URL(api.url()).port));
    const container = await runtime.inspectContainer(containerName('tools', p.id));
    project = { id: p.id, toolsUrl: `http://${container!.networks[rt.env.TOOLS_NETWORK]}:8090/mcp` };
    tools = new Client({ name: 'pantheon-e2e', version: '1.0.0' });
    const credential = toolsApiCredential(KeyRing.parse(process.env.PANTHEON_MASTER_KEYS!), project.id);
    await tools.connect(new StreamableHTTPClientTransport(new URL(project.toolsUrl), { requestInit: { headers: { Authorization: `Bearer ${credential}` } } }));
  });

  after(async () => {
    await tools?.close().catch(() => undefined);
    await new Promise<void>((resolve) => (tcpRelay ? tcpRelay.close(() => resolve()) : resolve()));
    await stopProjectSuite({ worker, api, rt, admin, owners: [alice, bob], services: [issuer] });
  });

  it('a new login shell in the VM sees both gateway base URLs and one project token, in a 0600 file', async () => {
    first = await eventually(async () => {
      const seen = await loginShellEnv();
      return seen.anthropicKey ? seen : undefined;
    }, 90_000, 'the VM environment set', 1_000);
    assert.equal(first.anthropicBase, `http://${relayHost}:${relayPort}`);
    assert.equal(first.openaiBase, `http://${relayHost}:${relayPort}/v1`);
    assert.match(first.anthropicKey, /^pt_/);
    assert.equal(first.openaiKey, first.anthropicKey);
    assert.equal(first.authToken, first.anthropicKey);
    const ttl = Date.parse(first.expiresAt) - Date.now();
    assert.ok(ttl > 0 && ttl <= VM_TOKEN_TTL_S * 1000, `expires within VM_TOKEN_TTL_S (${ttl} ms)`);
    const mode = texts(await call('shell', { command: 'ls -l /root/.pantheon-env' }));
    assert.match(mode, /-rw------- 1 root root/);
  });

  it('the token works at the gateway, is a revocable, expiring vm token of this project, and cannot mint more', async () => {
    assert.equal(await models(first.anthropicKey), 200);
    const { rows } = await admin.query<{ kind: string; project_id: string; expires_at: Date; revoked_at: Date | null }>(
      "select kind, project_id, expires_at, revoked_at from project_tokens where project_id = $1 and kind = 'vm' order by created_at",
      [project.id],
    );
    assert.ok(rows.length >= 1);
    assert.ok(rows.every((r) => r.expires_at.getTime() - Date.now() <= VM_TOKEN_TTL_S * 1000));
    // Listed to the owner like every project token.
    const listed = await api.as(alice).get(`/api/projects/${project.id}/tokens`).expect(200);
    assert.ok(listed.body.some((t: { kind: string }) => t.kind === 'vm'));

    // A token that lives in the VM must not mint its successors; neither may a user's own token; nor a Keycloak user.
    await api.http().post(`/api/projects/${project.id}/vm-token`).set('authorization', `Bearer ${first.anthropicKey}`).expect(403);
    const userToken = (await api.as(alice).post(`/api/projects/${project.id}/tokens`).send({ name: 'mine' }).expect(201)).body.token;
    await api.http().post(`/api/projects/${project.id}/vm-token`).set('authorization', `Bearer ${userToken}`).expect(403);
    await api.as(alice).post(`/api/projects/${project.id}/vm-token`).expect(401);
    await api.http().post(`/api/projects/${project.id}/vm-token`).expect(401);
  });

  it('never shows the token in container env or logs, nor in the shared folder', async () => {
    const docker = new Docker();
    for (const role of ['tools', 'vm'] as const) {
      const c = docker.getContainer(containerName(role, project.id));
      const info = await c.inspect();
      assert.equal(JSON.stringify(info.Config.Env).includes(first.anthropicKey), false, `${role} env`);
      const logs = (await c.logs({ stdout: true, stderr: true })).toString('utf8');
      assert.equal(logs.includes(first.anthropicKey), false, `${role} logs`);
      if (role === 'tools') assert.match(logs, /vm environment set/);
    }
    const shared = join(rt.shareRoot, project.id, 'pantheon.json');
    assert.ok(existsSync(shared));
    assert.equal(readFileSync(shared, 'utf8').includes(first.anthropicKey), false);
    assert.equal(worker.logs.lines.join('\n').includes(first.anthropicKey), false);
    assert.equal(api.logs.join('\n').includes(first.anthropicKey), false);
  });

  it('past half-life a new token replaces it in the VM; the old one expires', async () => {
    const renewed = await eventually(async () => {
      const seen = await loginShellEnv();
      return seen.anthropicKey && seen.anthropicKey !== first.anthropicKey ? seen : undefined;
    }, VM_TOKEN_TTL_S * 1000, 'a renewed token in the VM', 2_000);
    assert.equal(renewed.openaiKey, renewed.anthropicKey);
    assert.equal(renewed.authToken, renewed.anthropicKey);
    assert.ok(Date.parse(renewed.expiresAt) > Date.parse(first.expiresAt));
    assert.equal(await models(renewed.anthropicKey), 200);
    // The predecessor stays valid until it expires (programs started with it run on), then the gateway refuses it.
    await eventually(async () => ((await models(first.anthropicKey)) === 401 ? true : undefined), VM_TOKEN_TTL_S * 1000 + 10_000, 'the first token expired', 2_000);
    first = renewed;
  });

  it("deleting the project revokes the VM's token", async () => {
    assert.equal(await models(first.anthropicKey), 200);
    await api.as(alice).delete(`/api/projects/${project.id}?confirm=${encodeURIComponent('Agents VM')}`).expect(202);
    // Refused at once (the project is deleting), and revoked once the worker has torn it down.
    assert.equal(await models(first.anthropicKey), 401);
    await eventually(async () => {
      const { rows } = await admin.query("select count(*)::int as live from project_tokens where project_id = $1 and kind = 'vm' and revoked_at is null", [project.id]);
      return rows[0].live === 0 ? true : undefined;
    }, 60_000, 'the vm tokens revoked', 500);
  });
});
