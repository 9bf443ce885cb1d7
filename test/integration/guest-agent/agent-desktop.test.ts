/**
 * The guest agent as a process (dist/apps/guest-agent/src/main.js, Linux adapter) against a real TigerVNC display
 * with twm and an xterm: the same code the stand-in VM runs from /oem. Loopback only; the display, the agent and
 * every X client started here are stopped in `after`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GUEST_AGENT_LIMITS } from '@pantheon/guest-agent';
import { eventually } from '../../support/eventually';
import { startXvnc, type XvncDisplay } from '../../support/xvnc';
import { freePort } from '../../support/ports';

/** dist/apps/guest-agent/src/main.js, from this file's place in dist/test/integration/guest-agent. */
const AGENT_MAIN = path.resolve(__dirname, '../../../apps/guest-agent/src/main.js');
const TOKEN = `gat_${randomBytes(24).toString('base64url')}`;
const START_TIMEOUT_MS = 15_000;

interface AgentReply {
  status: number;
  body: { id?: string; ok?: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } } & Record<string, unknown>;
}


describe('guest agent on a real X display (Linux adapter)', { concurrency: false }, () => {
  let display: XvncDisplay;
  let agent: ChildProcess;
  let agentExited: Promise<unknown>;
  let agentLog = '';
  let base: string;
  let url: string;

  const call = async (command: string, params: Record<string, unknown> = {}, token: string | null = TOKEN): Promise<AgentReply> => {
    const res = await fetch(`${url}/v1/${command}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(params),
    });
    return { status: res.status, body: (await res.json()) as AgentReply['body'] };
  };
  const ok = async (command: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const reply = await call(command, params);
    assert.equal(reply.status, 200, `${command}: ${JSON.stringify(reply.body)}`);
    assert.equal(reply.body.ok, true);
    return reply.body.result!;
  };
  const xdotool = (...args: string[]): string => execFileSync('xdotool', args, { env: display.env, encoding: 'utf8' }).trim();

  before(async () => {
    assert.ok(existsSync(AGENT_MAIN), `${AGENT_MAIN} missing: npm run build first`);
    base = mkdtempSync(path.join(tmpdir(), 'pantheon-agent-it-'));
    writeFileSync(path.join(base, 'agent-token'), `${TOKEN}\n`, { mode: 0o400 });
    display = await startXvnc({ desktop: true });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    agent = spawn(process.execPath, [AGENT_MAIN, '--port', String(port), '--host', '127.0.0.1', '--token-file', path.join(base, 'agent-token'), '--adapter', 'linux'], {
      // As the stand-in's init runs it: a UTF-8 locale, so the apps it launches (the catcher xterm) speak UTF-8.
      env: { PATH: process.env.PATH, HOME: base, DISPLAY: display.display, LANG: 'C.UTF-8', VERSION: '11', RAM_SIZE: '6G' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agentExited = new Promise((resolve) => agent.once('exit', resolve));
    for (const stream of [agent.stdout!, agent.stderr!]) stream.on('data', (chunk: Buffer) => (agentLog = (agentLog + chunk.toString()).slice(-20_000)));
    await eventually(async () => ((await fetch(`${url}/health`)).status === 200 ? true : undefined), START_TIMEOUT_MS, `agent health (log: ${agentLog})`);
    // twm maps the desktop's xterm asynchronously.
    await eventually(async () => (xdotool('search', '--onlyvisible', '--name', '^xterm$') ? true : undefined), START_TIMEOUT_MS, 'the desktop xterm');
  });

  after(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await agentExited;
    }
    await display?.stop();
    rmSync(base, { recursive: true, force: true });
  });

  it('answers /health, /version and /info without a token, and names the platform and the VM spec', async () => {
    const health = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
    assert.equal(health.status, 'ok');
    assert.equal(health.agent, 'pantheon-guest-agent');
    assert.equal(health.protocol, 1);
    assert.equal(health.platform, 'linux');
    const version = (await (await fetch(`${url}/version`)).json()) as { commands: string[] };
    assert.ok(version.commands.includes('type_text'));
    const info = (await (await fetch(`${url}/info`)).json()) as { spec: Record<string, string> };
    assert.deepEqual(info.spec, { VERSION: '11', RAM_SIZE: '6G' });
  });

  it('refuses commands without a token, with a wrong one, and with a malformed header (401, before routing)', async () => {
    for (const token of [null, 'wrong-token', `${TOKEN}x`]) {
      const reply = await call('exec', { id: 'r1', command: 'echo no' }, token);
      assert.equal(reply.status, 401, String(token));
      assert.equal(reply.body.ok, false);
      assert.equal(reply.body.error?.code, 'unauthorized');
    }
    const res = await fetch(`${url}/v1/exec`, { method: 'POST', headers: { authorization: `Basic ${TOKEN}` }, body: '{}' });
    assert.equal(res.status, 401);
    // Routes are not revealed to an unauthenticated caller.
    assert.equal((await call('no_such_command', {}, null)).status, 401);
  });

  it('runs exec with exit code, stdout, stderr and the caller id echoed', async () => {
    const reply = await call('exec', { id: 'req-42', command: 'printf "out ✓"; printf err >&2; exit 3' });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.id, 'req-42');
    assert.deepEqual(reply.body.result, { exit_code: 3, stdout: 'out ✓', stderr: 'err', timed_out: false, truncated: false });
    const cwd = await ok('exec', { command: 'pwd', cwd: base });
    assert.equal(cwd.stdout, `${base}\n`);
  });

  it('kills the whole process tree when exec times out', async () => {
    const pidFile = path.join(base, 'grandchild.pid');
    const result = await ok('exec', { command: `sleep 300 & echo $! > ${pidFile}; wait`, timeout_ms: 500 });
    assert.equal(result.timed_out, true);
    assert.equal(result.exit_code, null);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(grandchild > 0);
    await eventually(
      async () => {
        try {
          process.kill(grandchild, 0);
          return undefined;
        } catch {
          return true;
        }
      },
      5000,
      'the background sleep to be killed',
    );
  });

  it('caps exec output and says so', async () => {
    const result = await ok('exec', { command: `head -c ${GUEST_AGENT_LIMITS.execOutputBytes + 5000} /dev/zero | tr '\\0' a` });
    assert.equal(result.truncated, true);
    assert.equal((result.stdout as string).length, GUEST_AGENT_LIMITS.execOutputBytes);
  });

  it('writes and reads files byte for byte, with offset, append and directory creation', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const file = path.join(base, 'deep', 'dir', 'blob.bin');
    const missingParent = await call('file_write', { path: file, content_base64: bytes.toString('base64') });
    assert.equal(missingParent.status, 404);
    assert.match(missingParent.body.error?.message ?? '', /parent directory does not exist/);
    assert.deepEqual(await ok('file_write', { path: file, content_base64: bytes.toString('base64'), create_dirs: true }), { bytes_written: 256 });
    assert.deepEqual(readFileSync(file), bytes, 'on disk as sent');
    const read = await ok('file_read', { path: file });
    assert.deepEqual(Buffer.from(read.content_base64 as string, 'base64'), bytes);
    assert.deepEqual([read.size, read.truncated], [256, false]);
    const part = await ok('file_read', { path: file, offset: 250, max_bytes: 4 });
    assert.deepEqual([...Buffer.from(part.content_base64 as string, 'base64')], [250, 251, 252, 253]);
    assert.equal(part.truncated, true);
    await ok('file_write', { path: file, content_base64: Buffer.from('tail').toString('base64'), append: true });
    assert.equal(readFileSync(file).subarray(256).toString(), 'tail');
  });

  it('gives clear errors: missing file, directory, relative path, bad base64, over the size limit', async () => {
    const missing = await call('file_read', { id: 'm1', path: path.join(base, 'nope.txt') });
    assert.deepEqual([missing.status, missing.body.id, missing.body.error?.code], [404, 'm1', 'not_found']);
    assert.match(missing.body.error!.message, /no such file or directory: .*nope\.txt/);
    assert.equal((await call('file_read', { path: base })).body.error?.code, 'bad_request');
    assert.match((await call('file_read', { path: 'relative.txt' })).body.error?.message ?? '', /path must be absolute/);
    assert.equal((await call('file_write', { path: path.join(base, 'x'), content_base64: '***' })).status, 400);
    const big = Buffer.alloc(GUEST_AGENT_LIMITS.fileBytes + 1, 1).toString('base64');
    const tooBig = await call('file_write', { path: path.join(base, 'big.bin'), content_base64: big });
    assert.deepEqual([tooBig.status, tooBig.body.error?.code], [413, 'too_large']);
    assert.equal(existsSync(path.join(base, 'big.bin')), false);
    const res = await fetch(`${url}/v1/file_write`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: Buffer.alloc(GUEST_AGENT_LIMITS.bodyBytes + 1, 0x20),
    });
    assert.equal(res.status, 413, 'a body over the limit is refused');
    assert.equal(((await res.json()) as AgentReply['body']).error?.code, 'too_large');
  });

  it('lists a directory with types and sizes', async () => {
    const dir = mkdtempSync(path.join(base, 'list-'));
    writeFileSync(path.join(dir, 'a.txt'), 'hello');
    execFileSync('mkdir', [path.join(dir, 'sub')]);
    const { entries } = (await ok('file_list', { path: dir })) as { entries: { name: string; type: string; size: number; modified_at: string }[] };
    assert.deepEqual(
      entries.map(({ name, type, size }) => ({ name, type, size })),
      [
        { name: 'a.txt', type: 'file', size: 5 },
        { name: 'sub', type: 'directory', size: 0 },
      ],
    );
    assert.ok(!Number.isNaN(Date.parse(entries[0]!.modified_at)));
    assert.equal((await call('file_list', { path: path.join(dir, 'none') })).status, 404);
  });

  it('round-trips Unicode through the X clipboard (xclip sees it too)', async () => {
    const text = `clip ✓ ünïcode ${randomBytes(4).toString('hex')}`;
    assert.deepEqual(await ok('clipboard_set', { text }), {});
    assert.deepEqual(await ok('clipboard_get'), { text });
    assert.equal(execFileSync('xclip', ['-selection', 'clipboard', '-o'], { env: display.env, encoding: 'utf8' }), text);
  });

  it('lists the desktop xterm and focuses windows by title and by id', async () => {
    const { windows } = (await ok('windows_list')) as { windows: { id: string; title: string; focused: boolean }[] };
    const xterm = windows.find((w) => w.title === 'xterm');
    assert.ok(xterm, JSON.stringify(windows));
    assert.deepEqual(await ok('window_focus', { title: 'xterm' }), { id: xterm.id, title: 'xterm' });
    assert.equal(xdotool('getwindowfocus'), xterm.id);
    const again = (await ok('windows_list')) as { windows: { id: string; focused: boolean }[] };
    assert.equal(again.windows.find((w) => w.id === xterm.id)?.focused, true);
    assert.equal((await call('window_focus', { title: 'no such window' })).status, 404);
    assert.equal((await call('window_focus', {})).status, 400);
  });

  it('types non-ASCII text into the focused xterm (a shell there writes its stdin to a file)', async () => {
    const typed = path.join(base, 'typed.txt');
    const title = `catcher-${randomBytes(3).toString('hex')}`;
    const { pid } = (await ok('app_launch', { command: 'xterm', args: ['-T', title, '-fa', '', '-e', 'sh', '-c', `cat > ${typed}`] })) as { pid: number };
    assert.ok(pid > 0);
    const win = await eventually(async () => {
      const { windows } = (await ok('windows_list')) as { windows: { id: string; title: string }[] };
      return windows.find((w) => w.title === title);
    }, START_TIMEOUT_MS, 'the launched xterm');
    await ok('window_focus', { id: win.id });
    const text = 'héllo wörld ✓';
    assert.deepEqual(await ok('type_text', { text: `${text}\n` }), { characters: [...text].length + 1 });
    const content = await eventually(async () => (existsSync(typed) && readFileSync(typed, 'utf8').endsWith('\n') ? readFileSync(typed, 'utf8') : undefined), 10_000, 'the typed line');
    assert.equal(content, `${text}\n`);
    process.kill(pid, 'SIGTERM');
  });

  it('answers bad JSON with 400, unknown commands with 404, wrong params with 400, GET on a command with 405', async () => {
    const bad = await fetch(`${url}/v1/exec`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"id": "x",' });
    assert.equal(bad.status, 400);
    const badBody = (await bad.json()) as AgentReply['body'];
    assert.equal(badBody.error?.code, 'bad_request');
    assert.match(badBody.error!.message, /not valid JSON/);
    const array = await fetch(`${url}/v1/exec`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '[1]' });
    assert.equal(array.status, 400);
    const unknown = await call('format_disk', { id: 'u1' });
    assert.deepEqual([unknown.status, unknown.body.error?.code], [404, 'not_found']);
    const wrong = await call('exec', { id: 'w1', command: 42 });
    assert.deepEqual([wrong.status, wrong.body.id, wrong.body.error?.code], [400, 'w1', 'bad_request']);
    assert.equal((await call('exec', { command: 'true', shell: 'powershell' })).body.error?.code, 'unsupported');
    assert.equal((await fetch(`${url}/v1/exec`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 405);
  });
});
