/**
 * The tools API as the project's MCP server, in-process on loopback: the official MCP SDK client against
 * createToolsApiServer, with a TestDesktop (real images from sharp) and a wire-compatible fake guest agent
 * and VM viewer on loopback. Nothing leaves 127.0.0.1; every server is closed in `after`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import sharp from 'sharp';
import { createToolsApiServer } from '../../../apps/tools-api/src/app';
import type { DesktopOptions } from '../../../apps/tools-api/src/computer/desktop.factory';
import type { ToolsApiConfig } from '../../../apps/tools-api/src/config/tools-api.config';
import { JsonLogger } from '../../../apps/tools-api/src/logging/json-logger';
import { FakeGuestAgent } from '../../../apps/tools-api/src/testing/fake-guest-agent';
import { FakeVm } from '../../../apps/tools-api/src/testing/fake-vm';
import { TestDesktop } from '../../../apps/tools-api/src/testing/test-desktop';

const PROJECT_ID = '5d0c4a8e-1b2f-4c3d-8e9f-0a1b2c3d4e5f';
const CREDENTIAL = 'tac_mcp-it-credential-0123456789abcdef';
const AGENT_TOKEN = 'gat_mcp-it-agent-token-fedcba9876543210';

const EXPECTED_TOOLS = [
  'app_launch',
  'clipboard_get',
  'clipboard_set',
  'computer',
  'computer_batch',
  'file_list',
  'file_read',
  'file_write',
  'shell',
  'type_text',
  'vm_status',
  'window_focus',
  'windows_list',
];

type Content = CallToolResult['content'][number];

function texts(result: CallToolResult): string[] {
  return result.content.flatMap((item: Content) => (item.type === 'text' ? [item.text] : []));
}

function images(result: CallToolResult): { data: string; mimeType: string }[] {
  return result.content.flatMap((item: Content) => (item.type === 'image' ? [{ data: item.data, mimeType: item.mimeType }] : []));
}

describe('tools API MCP server (SDK client, loopback)', { concurrency: false }, () => {
  const secrets = mkdtempSync(path.join(tmpdir(), 'tools-mcp-it-'));
  const logLines: string[] = [];
  const desktop = new TestDesktop({ width: 1920, height: 1080, maxWidth: 1280 });
  const agent = new FakeGuestAgent(AGENT_TOKEN);
  let desktopOptions: DesktopOptions | undefined;
  let vm: FakeVm;
  let server: Server;
  let mcpUrl: URL;
  const clients: Client[] = [];
  let main: Client | undefined;

  async function connect(credential: string | null = CREDENTIAL): Promise<Client> {
    const headers: Record<string, string> = credential === null ? {} : { authorization: `Bearer ${credential}` };
    const client = new Client({ name: 'pantheon-mcp-it', version: '1.0.0' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers } }));
    return client;
  }

  async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    main ??= await connect();
    return (await main.callTool({ name, arguments: args })) as CallToolResult;
  }

  async function phase(): Promise<{ phase: string; vnc: { framebuffer: unknown }; agent: { version: string | null }; viewer: string }> {
    const result = await call('vm_status', {});
    assert.notEqual(result.isError, true);
    return JSON.parse(texts(result)[0] ?? '{}') as never;
  }

  before(async () => {
    vm = await FakeVm.start();
    // Started once for a port, then down: the agent is "not yet installed" until a test starts it.
    await agent.start();
    await agent.stop();
    for (const [name, value] of [['api-credential', CREDENTIAL], ['project-token', 'pt_mcp-it'], ['guest-agent-token', AGENT_TOKEN]]) {
      writeFileSync(path.join(secrets, name), value, { mode: 0o400 });
    }
    const config: ToolsApiConfig = {
      projectId: PROJECT_ID,
      vmHost: '127.0.0.1',
      vmViewerPort: vm.viewerPort,
      guestAgentPort: agent.port,
      vmVncPort: 15900,
      screenshotMaxWidth: 1280,
      port: 0,
      host: '127.0.0.1',
      healthTimeoutMs: 1_000,
      projectTokenFile: path.join(secrets, 'project-token'),
      credentialFile: path.join(secrets, 'api-credential'),
      guestAgentTokenFile: path.join(secrets, 'guest-agent-token'),
      gatewayUrl: null,
    };
    const logger = new JsonLogger({ write: (line: string) => logLines.push(line) });
    server = createToolsApiServer(config, logger, {
      createDesktop: (options) => {
        desktopOptions = options;
        return desktop;
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mcpUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await agent.stop();
    await vm.close();
    rmSync(secrets, { recursive: true, force: true });
  });

  it('builds its one Desktop from the config (VNC host and port, width cap) and closes it with the server', () => {
    assert.deepEqual(
      { host: desktopOptions?.host, port: desktopOptions?.port, maxWidth: desktopOptions?.maxWidth },
      { host: '127.0.0.1', port: 15900, maxWidth: 1280 },
    );
  });

  it('refuses a missing or wrong credential with 401 before any MCP exchange', async () => {
    for (const credential of [null, 'tac_wrong-credential']) {
      await assert.rejects(connect(credential), (error: unknown) => {
        assert.ok(error instanceof StreamableHTTPError, String(error));
        assert.equal(error.code, 401);
        assert.match(error.message, /credential/);
        return true;
      });
    }
    // The same at the HTTP level, and GET/DELETE (no stream, no session in stateless mode) answer 405 once authorized.
    assert.equal((await fetch(mcpUrl, { method: 'POST', body: '{}' })).status, 401);
    const get = await fetch(mcpUrl, { headers: { authorization: `Bearer ${CREDENTIAL}`, accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    assert.equal((await fetch(mcpUrl, { method: 'DELETE', headers: { authorization: `Bearer ${CREDENTIAL}` } })).status, 405);
  });

  it('lists every tool with a description and an input schema', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), EXPECTED_TOOLS);
    for (const tool of tools) {
      assert.ok((tool.description ?? '').length > 20, tool.name);
      assert.equal(tool.inputSchema.type, 'object', tool.name);
    }
    const computer = tools.find((tool) => tool.name === 'computer');
    const action = (computer?.inputSchema.properties as Record<string, { enum?: string[] }>).action;
    assert.ok(action?.enum?.includes('left_click_drag'));
    assert.ok(action?.enum?.includes('zoom'));
    assert.deepEqual(computer?.inputSchema.required, ['action']);
  });

  it('reports booting, then installing, from the screen and the agent', async () => {
    desktop.connected = false;
    const booting = await phase();
    assert.equal(booting.phase, 'booting');
    assert.equal(booting.vnc.framebuffer, null);
    assert.equal(booting.viewer, 'up');
    desktop.connected = true;
    const installing = await phase();
    assert.equal(installing.phase, 'installing');
    assert.deepEqual(installing.vnc.framebuffer, { width: 1920, height: 1080 });
    assert.equal(installing.agent.version, null);
  });

  it('computer screenshot returns a PNG of the scaled screen, plus its size', async () => {
    const before = desktop.actions.length;
    const result = await call('computer', { action: 'screenshot' });
    assert.notEqual(result.isError, true);
    const [image] = images(result);
    assert.equal(image?.mimeType, 'image/png');
    const meta = await sharp(Buffer.from(image?.data ?? '', 'base64')).metadata();
    assert.deepEqual({ format: meta.format, width: meta.width, height: meta.height }, { format: 'png', width: 1280, height: 720 });
    assert.match(texts(result)[0] ?? '', /^screenshot 1280x720 png \(screen 1920x1080\); screen settled$/);
    assert.deepEqual(desktop.actions.slice(before), [{ action: 'screenshot' }]);
  });

  it('computer honours jpeg, moves the pointer and answers cursor_position as text', async () => {
    const jpeg = await call('computer', { action: 'mouse_move', coordinate: [640, 360], format: 'jpeg', quality: 50 });
    assert.equal(images(jpeg)[0]?.mimeType, 'image/jpeg');
    assert.equal((await sharp(Buffer.from(images(jpeg)[0]?.data ?? '', 'base64')).metadata()).format, 'jpeg');
    const cursor = await call('computer', { action: 'cursor_position' });
    assert.deepEqual(images(cursor), []);
    assert.deepEqual(texts(cursor), ['cursor at [640, 360]']);
  });

  it('answers bad arguments with MCP errors naming the problem, without touching the desktop', async () => {
    const before = desktop.actions.length;
    const missing = await call('computer', { action: 'mouse_move' });
    assert.equal(missing.isError, true);
    assert.deepEqual(texts(missing), ['coordinate is required for mouse_move']);
    // Schema violations are rejected by the SDK's validation (JSON-RPC InvalidParams, returned as a tool error).
    const unknownAction = await call('computer', { action: 'fly' });
    assert.equal(unknownAction.isError, true);
    assert.match(texts(unknownAction)[0] ?? '', /Input validation error: Invalid arguments for tool computer/);
    assert.match(texts(unknownAction)[0] ?? '', /action/);
    const extraField = await call('computer', { action: 'screenshot', colour: 'red' });
    assert.equal(extraField.isError, true);
    assert.match(texts(extraField)[0] ?? '', /Input validation error.*colour/s);
    const badCoordinate = await call('computer', { action: 'left_click', coordinate: [1, 2, 3] });
    assert.equal(badCoordinate.isError, true);
    assert.match(texts(badCoordinate)[0] ?? '', /Input validation error.*coordinate/s);
    const unknownTool = await call('teleport', {});
    assert.equal(unknownTool.isError, true);
    assert.match(texts(unknownTool)[0] ?? '', /Tool teleport not found/);
    assert.equal(desktop.actions.length, before);
  });

  it("passes the desktop's own refusals on as tool errors", async () => {
    const outside = await call('computer', { action: 'left_click', coordinate: [5000, 10] });
    assert.equal(outside.isError, true);
    assert.deepEqual(texts(outside), ['coordinate [5000, 10] is outside the 1280x720 screenshot']);
    desktop.connected = false;
    try {
      const down = await call('computer', { action: 'screenshot' });
      assert.equal(down.isError, true);
      assert.match(texts(down)[0] ?? '', /not connected/);
    } finally {
      desktop.connected = true;
    }
  });

  it('computer_batch runs actions in order and returns one final screenshot', async () => {
    const before = desktop.actions.length;
    const result = await call('computer_batch', {
      actions: [
        { action: 'left_click', coordinate: [100, 100] },
        { action: 'type', text: 'hello' },
        { action: 'key', text: 'Return' },
        { action: 'cursor_position' },
      ],
      format: 'png',
    });
    assert.notEqual(result.isError, true);
    assert.equal(images(result).length, 1);
    assert.match(texts(result)[0] ?? '', /^4 actions done; screenshot 1280x720 png/);
    assert.deepEqual(
      desktop.actions.slice(before).map((action) => action.action),
      ['left_click', 'type', 'key', 'cursor_position', 'screenshot'],
    );
  });

  it('computer_batch stops at the first failing action and names its index; checks all actions first', async () => {
    let before = desktop.actions.length;
    const failed = await call('computer_batch', {
      actions: [{ action: 'mouse_move', coordinate: [1, 1] }, { action: 'left_click', coordinate: [9999, 1] }, { action: 'key', text: 'a' }],
    });
    assert.equal(failed.isError, true);
    assert.deepEqual(texts(failed), ['actions[1] (left_click) failed: coordinate [9999, 1] is outside the 1280x720 screenshot; actions 0..0 ran']);
    assert.deepEqual(desktop.actions.slice(before).map((action) => action.action), ['mouse_move']);

    before = desktop.actions.length;
    const invalid = await call('computer_batch', { actions: [{ action: 'screenshot' }, { action: 'scroll', scroll_direction: 'down' }] });
    assert.equal(invalid.isError, true);
    assert.deepEqual(texts(invalid), ['actions[1]: scroll_amount is required for scroll']);
    assert.equal(desktop.actions.length, before, 'nothing ran');

    const tooMany = await call('computer_batch', { actions: Array.from({ length: 21 }, () => ({ action: 'screenshot' })) });
    assert.equal(tooMany.isError, true);
    assert.match(texts(tooMany)[0] ?? '', /Input validation error/);
  });

  it('guest tools answer "agent not ready" with the phase while the agent is down', async () => {
    const installing = await call('shell', { command: 'Get-Date' });
    assert.equal(installing.isError, true);
    assert.match(texts(installing)[0] ?? '', /^agent not ready \(phase installing\)/);
    desktop.connected = false;
    try {
      const booting = await call('file_list', { path: 'C:\\' });
      assert.match(texts(booting)[0] ?? '', /^agent not ready \(phase booting\)/);
    } finally {
      desktop.connected = true;
    }
    assert.equal(agent.received.length, 0, 'nothing reached the agent');
  });

  it('once the agent is up: vm_status is agent_ready and shell runs through it', async () => {
    await agent.start();
    const ready = await phase();
    assert.equal(ready.phase, 'agent_ready');
    assert.equal(ready.agent.version, '1.4.0-fake');

    const result = await call('shell', { command: 'Write-Output hi', shell: 'powershell', timeout_seconds: 20, cwd: 'C:\\work' });
    assert.notEqual(result.isError, true);
    assert.deepEqual(texts(result), ['exit code: 0\n--- stdout ---\nWrite-Output hi\n\n--- stderr ---\n']);
    assert.deepEqual(agent.received.at(-1)?.params, { shell: 'powershell', command: 'Write-Output hi', timeout_ms: 20_000, cwd: 'C:\\work' });

    const failing = await call('shell', { command: 'exit 3', shell: 'cmd' });
    assert.notEqual(failing.isError, true, 'a non-zero exit is an answer');
    assert.match(texts(failing)[0] ?? '', /^exit code: 3\n--- stdout ---\n\n--- stderr ---\nexited with 3/);
    const tooLong = await call('shell', { command: 'x', timeout_seconds: 301 });
    assert.equal(tooLong.isError, true);
    assert.match(texts(tooLong)[0] ?? '', /Input validation error.*timeout_seconds/s);
  });

  it('round-trips text and binary files through the agent', async () => {
    const text = 'héllo wörld ✓\nline 2\n';
    const wrote = await call('file_write', { path: 'C:\\work\\notes.txt', content: text, create_dirs: true });
    assert.deepEqual(texts(wrote), [`wrote ${Buffer.byteLength(text)} bytes to C:\\work\\notes.txt`]);
    await call('file_write', { path: 'C:\\work\\notes.txt', content: 'line 3\n', append: true });
    const read = await call('file_read', { path: 'C:\\work\\notes.txt' });
    const size = Buffer.byteLength(text) + 7;
    assert.deepEqual(texts(read), [`C:\\work\\notes.txt: ${size} bytes; returned bytes 0..${size} as utf8`, `${text}line 3\n`]);

    const partial = await call('file_read', { path: 'C:\\work\\notes.txt', offset: 0, max_bytes: 2 });
    assert.deepEqual(texts(partial), [`C:\\work\\notes.txt: ${size} bytes; returned bytes 0..1 as utf8; more from offset 1`, 'h']);

    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#ff0000' } }).png().toBuffer();
    await call('file_write', { path: 'C:\\work\\red.png', content: png.toString('base64'), encoding: 'base64' });
    assert.deepEqual(agent.files.get('C:\\work\\red.png'), png);
    const binary = await call('file_read', { path: 'C:\\work\\red.png' });
    assert.match(texts(binary)[0] ?? '', /as base64$/);
    assert.deepEqual(Buffer.from(texts(binary)[1] ?? '', 'base64'), png);
    const forced = await call('file_read', { path: 'C:\\work\\notes.txt', encoding: 'base64' });
    assert.equal(Buffer.from(texts(forced)[1] ?? '', 'base64').toString('utf8'), `${text}line 3\n`);

    const listing = JSON.parse(texts(await call('file_list', { path: 'C:\\work' }))[0] ?? '[]') as { name: string; size: number }[];
    assert.deepEqual(listing.map((entry) => [entry.name, entry.size]), [['notes.txt', size], ['red.png', png.length]]);

    const badBase64 = await call('file_write', { path: 'C:\\x', content: 'not base64!', encoding: 'base64' });
    assert.deepEqual(texts(badBase64), ['content is not valid base64']);
    const missing = await call('file_read', { path: 'C:\\nope.txt' });
    assert.equal(missing.isError, true);
    assert.deepEqual(texts(missing), ['file_read failed (not_found): no such file: C:\\nope.txt']);
  });

  it('clipboard, windows, apps and Unicode typing go through the agent', async () => {
    await call('clipboard_set', { text: 'zwischen 📋 ablage' });
    assert.deepEqual(texts(await call('clipboard_get', {})), ['zwischen 📋 ablage']);
    const windows = JSON.parse(texts(await call('windows_list', {}))[0] ?? '[]') as { id: string; title: string }[];
    assert.equal(windows[1]?.title, 'File Explorer');
    assert.deepEqual(texts(await call('window_focus', { title: 'Explorer' })), ['focused window 0x20020: File Explorer']);
    const noTarget = await call('window_focus', {});
    assert.equal(noTarget.isError, true);
    assert.deepEqual(texts(noTarget), ['id or title is required for window_focus']);
    assert.deepEqual(texts(await call('app_launch', { command: 'notepad.exe', args: ['C:\\work\\notes.txt'] })), ['launched notepad.exe (pid 4242)']);
    assert.deepEqual(texts(await call('type_text', { text: 'héllo 世界 🎉' })), ['typed 10 characters']);
    assert.equal(agent.typed, 'héllo 世界 🎉');
  });

  it('reports desktop once the agent that answered before goes away', async () => {
    await agent.stop();
    assert.equal((await phase()).phase, 'desktop');
    const refused = await call('clipboard_get', {});
    assert.match(texts(refused)[0] ?? '', /^agent not ready \(phase desktop\)/);
    await agent.start();
  });

  it('logs one line per MCP request and never a credential or the agent token', () => {
    const mcpLines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.path === '/mcp');
    assert.ok(mcpLines.length > 10);
    const all = logLines.join('\n');
    for (const secret of [CREDENTIAL, AGENT_TOKEN, 'pt_mcp-it']) assert.ok(!all.includes(secret));
  });
});
