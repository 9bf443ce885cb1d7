/**
 * A project an AI can drive, end to end: the real API and worker build a project on the real engine with the
 * stand-in VM (TigerVNC's Xvnc, a real X desktop, the real guest agent from the project's /oem), and the
 * official MCP SDK client uses it — straight at its tools API, through `/api/projects/:id/mcp`, and through
 * chat with a fake provider that asks for a screenshot.
 *
 * Network rule: traffic goes to loopback and to the containers and networks this suite creates.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import sharp from 'sharp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { KeyRing, toolsApiCredential } from '@pantheon/crypto';
import { containerName, DockerRuntime } from '@pantheon/runtime';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { adminPool } from '../support/db';
import { eventually } from '../support/eventually';
import { fakeProviderKey, FakeProviders, startFakeProviders } from '../support/fake-providers';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { runtimeTestEnv, RuntimeTestEnv, stopProjectSuite } from '../support/runtime-env';
import { startTestWorker, TestWorker } from '../support/worker';
import { changedShare } from '../support/images';

const runtime = new DockerRuntime();
const ring = () => KeyRing.parse(process.env.PANTHEON_MASTER_KEYS!);

type ToolResult = { content: { type: string; text?: string; data?: string; mimeType?: string }[]; isError?: boolean };

const texts = (r: ToolResult) => r.content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n');
const image = (r: ToolResult) => {
  const img = r.content.find((c) => c.type === 'image');
  assert.ok(img?.data, `an image in ${JSON.stringify(r.content.map((c) => c.type))}: ${texts(r)}`);
  return { mimeType: img.mimeType, png: Buffer.from(img.data, 'base64') };
};


async function mcpClient(url: string, bearer: string): Promise<Client> {
  const client = new Client({ name: 'pantheon-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } }));
  return client;
}

describe("a project's desktop over MCP (real engine, stand-in VM with Xvnc and the real guest agent)", () => {
  let issuer: OidcIssuerHandle;
  let fakes: FakeProviders;
  let rt: RuntimeTestEnv;
  let api: TestApi;
  let worker: TestWorker;
  let alice: TestUser;
  let bob: TestUser;
  const admin = adminPool();
  let project: { id: string; toolsUrl: string };
  let other: { id: string; toolsUrl: string };
  let tools: Client;

  const call = async (client: Client, name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as ToolResult;

  before(async () => {
    issuer = await startOidcIssuer();
    fakes = await startFakeProviders();
    rt = await runtimeTestEnv('desktop');
    const env = { ...rt.env, OPENAI_BASE_URL: fakes.baseUrls.openai, PROVISION_HEALTH_TIMEOUT_MS: '60000', REDIS_PREFIX: `${process.env.REDIS_PREFIX}:desktop` };
    api = await startTestApi(issuer, env);
    worker = await startTestWorker(env);
    alice = await createUser(api, issuer, 'desktop-a');
    bob = await createUser(api, issuer, 'desktop-b');
    const build = async (user: TestUser, name: string) => {
      const p = await createProject(api, user, { name });
      await api.as(user).waitForProject(p.id, 'running', { logs: worker.logs });
      const container = await runtime.inspectContainer(containerName('tools', p.id));
      return { id: p.id as string, toolsUrl: `http://${container!.networks[rt.env.TOOLS_NETWORK]}:8090/mcp` };
    };
    project = await build(alice, 'Desk A');
    other = await build(bob, 'Desk B');
    tools = await mcpClient(project.toolsUrl, toolsApiCredential(ring(), project.id));
    // The agent starts after the desktop: wait until the project reports it ready.
    await eventually(async () => {
      const status = JSON.parse(texts(await call(tools, 'vm_status', {}))) as { phase: string };
      return status.phase === 'agent_ready' ? status : undefined;
    }, 60_000, 'the guest agent ready');
  });

  after(async () => {
    await tools?.close().catch(() => undefined);
    await stopProjectSuite({ worker, api, rt, admin, owners: [alice, bob], services: [fakes, issuer] });
  });

  it('lists the computer, status and guest tools', async () => {
    const { tools: listed } = await tools.listTools();
    const names = listed.map((t) => t.name);
    for (const name of ['computer', 'computer_batch', 'vm_status', 'shell', 'file_read', 'file_write', 'file_list', 'clipboard_get', 'clipboard_set', 'type_text']) {
      assert.ok(names.includes(name), `${name} in ${names}`);
    }
  });

  it("takes a screenshot: a PNG the size of the VNC server's framebuffer", async () => {
    const shot = image(await call(tools, 'computer', { action: 'screenshot' }));
    assert.equal(shot.mimeType, 'image/png');
    const meta = await sharp(shot.png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 1024, 768], "Xvnc's -geometry 1024x768");
    const status = JSON.parse(texts(await call(tools, 'vm_status', {}))) as Record<string, unknown>;
    assert.match(JSON.stringify(status), /1024/);
  });

  it('clicks into the terminal and types a command: the pixels change', async () => {
    const before = image(await call(tools, 'computer', { action: 'screenshot' })).png;
    const clicked = await call(tools, 'computer', { action: 'left_click', coordinate: [200, 150] });
    assert.notEqual(clicked.isError, true, texts(clicked));
    const typed = await call(tools, 'computer_batch', {
      actions: [
        { action: 'type', text: 'echo typed-through-vnc' },
        { action: 'key', text: 'Return' },
      ],
    });
    assert.notEqual(typed.isError, true, texts(typed));
    const share = await changedShare(before, image(typed).png);
    assert.ok(share > 0.001, `the screen changed (${(share * 100).toFixed(3)}% of pixels)`);
  });

  it('runs a shell command through the guest agent and round-trips a binary file', async () => {
    const shell = await call(tools, 'shell', { command: 'echo out-$((40+2)); echo err 1>&2; exit 3' });
    assert.notEqual(shell.isError, true, texts(shell));
    assert.match(texts(shell), /exit code: 3/);
    assert.match(texts(shell), /out-42/);
    assert.match(texts(shell), /err/);

    const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13, 0x80]);
    const written = await call(tools, 'file_write', { path: '/tmp/pantheon-e2e/blob.bin', content: bytes.toString('base64'), encoding: 'base64', create_dirs: true });
    assert.notEqual(written.isError, true, texts(written));
    const read = await call(tools, 'file_read', { path: '/tmp/pantheon-e2e/blob.bin', encoding: 'base64' });
    assert.notEqual(read.isError, true, texts(read));
    assert.ok(texts(read).includes(bytes.toString('base64')), texts(read));
  });

  it('answers bad arguments with MCP errors', async () => {
    const unknown = await call(tools, 'computer', { action: 'fly_away' });
    assert.equal(unknown.isError, true);
    assert.match(texts(unknown), /action/);
    const missing = await call(tools, 'computer', { action: 'mouse_move' });
    assert.equal(missing.isError, true);
    assert.match(texts(missing), /coordinate is required/);
    const outside = await call(tools, 'computer', { action: 'left_click', coordinate: [5000, 10] });
    assert.equal(outside.isError, true);
    assert.match(texts(outside), /1023|1024|outside|range/i);
  });

  it("refuses a missing credential and another project's credential", async () => {
    const initialize = (headers: Record<string, string>) =>
      fetch(project.toolsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
    assert.equal((await initialize({})).status, 401);
    assert.equal((await initialize({ authorization: `Bearer ${toolsApiCredential(ring(), other.id)}` })).status, 401);
    await assert.rejects(mcpClient(other.toolsUrl, toolsApiCredential(ring(), project.id)), /401|Unauthorized/i);
  });

  it('gives the VM its own /oem (agent and token) and a shared pantheon.json without secrets', async () => {
    const oem = join(rt.env.OEM_DIR, project.id);
    assert.ok(existsSync(join(oem, 'install.bat')) && existsSync(join(oem, 'pantheon/agent/apps/guest-agent/src/main.js')));
    const config = readFileSync(join(rt.shareRoot, project.id, 'pantheon.json'), 'utf8');
    const doc = JSON.parse(config) as { mcp: { url: string }; gateway: { openai_base_url: string; anthropic_base_url: string } };
    assert.match(doc.mcp.url, new RegExp(`/api/projects/${project.id}/mcp$`));
    assert.match(doc.gateway.openai_base_url, /\/v1$/);
    assert.ok(!config.includes(readFileSync(join(oem, 'pantheon/agent-token'), 'utf8')), 'the agent token is not in the shared folder');
    assert.ok(!config.includes(toolsApiCredential(ring(), project.id)));
  });

  it('serves the same tools to the owner through /api/projects/:id/mcp', async () => {
    const relayed = await mcpClient(`${await api.listen()}/api/projects/${project.id}/mcp`, alice.token);
    try {
      const shot = image(await call(relayed, 'computer', { action: 'screenshot' }));
      assert.equal((await sharp(shot.png).metadata()).width, 1024);
      assert.match(texts(await call(relayed, 'shell', { command: 'echo relayed' })), /relayed/);
    } finally {
      await relayed.close();
    }
    const foreign = await fetch(`${await api.listen()}/api/projects/${other.id}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    assert.equal(foreign.status, 404, "another user's project");
  });

  it('lets a chat model ask for a screenshot and receive it', async () => {
    await api.as(alice).post('/api/user/api-keys').send({ name: 'openai', provider: 'openai', key: fakeProviderKey('desktop') }).expect(201);
    const res = await api
      .as(alice)
      .post('/api/chat')
      .send({ model: 'openai/fake-screenshot', message: 'What is on my screen?', use_project_tools: true, project_id: project.id })
      .expect(200);
    assert.equal(res.body.message.content, 'I see image/png 1024x768');
  });

  it('recovers after the VM container restarts', async () => {
    await new Docker().getContainer(containerName('vm', project.id)).restart({ t: 2 });
    const shot = await eventually(async () => {
      const r = await call(tools, 'computer', { action: 'screenshot' });
      return r.isError ? undefined : r;
    }, 60_000, 'a screenshot after the restart');
    assert.equal((await sharp(image(shot).png).metadata()).height, 768);
    const shell = await eventually(async () => {
      const r = await call(tools, 'shell', { command: 'echo back' });
      return r.isError ? undefined : r;
    }, 60_000, 'the guest agent after the restart');
    assert.match(texts(shell), /back/);
  });
});
