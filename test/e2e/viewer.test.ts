/**
 * "Connect" in a real browser: Debian's chromium (playwright-core) opens the link `POST /api/projects/:id/viewer`
 * hands out, the API swaps the ticket for a session and relays the stand-in VM's real noVNC (files and WebSocket,
 * bridged in the VM to its Xvnc) over the project network; the canvas shows what the project's MCP tools see,
 * a click and keys typed in the browser reach the VM, and in view-only mode they do not (the relay drops them
 * even when noVNC's page sends them). Tickets are single-use and short-lived, sessions belong to one user and
 * one path, and deleting the project ends an open viewer.
 *
 * Network rule: traffic goes to loopback and to the containers and networks this suite creates.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import WebSocket from 'ws';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { KeyRing, toolsApiCredential } from '@pantheon/crypto';
import type { ViewerOpenedEvent } from '@pantheon/events';
import { containerName, DockerRuntime } from '@pantheon/runtime';
import { viewerDroppedInput } from '@pantheon/api/testing';
import { createProject, createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { canvasPoint, launchChromium, novncCanvasPng, novncConnected, novncDisconnected } from '../support/browser';
import { subscribe } from '../support/client';
import { adminPool } from '../support/db';
import { eventually } from '../support/eventually';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';
import { runtimeTestEnv, RuntimeTestEnv, stopProjectSuite } from '../support/runtime-env';
import { startTestWorker, TestWorker } from '../support/worker';
import { changedShare } from '../support/images';

const runtime = new DockerRuntime();
const ring = () => KeyRing.parse(process.env.PANTHEON_MASTER_KEYS!);
const TICKET_TTL_S = 4;
const MAX_VIEWERS_PER_PROJECT = 10;

type ToolResult = { content: { type: string; text?: string; data?: string }[]; isError?: boolean };

/** Both images scaled to 256x192 greyscale: the mean absolute difference (0-255) and the spread of `a`. */
async function compare(a: Buffer, b: Buffer): Promise<{ meanDiff: number; spreadA: number }> {
  const small = (png: Buffer) => sharp(png).removeAlpha().resize(256, 192, { fit: 'fill' }).greyscale().raw().toBuffer();
  const [ra, rb] = await Promise.all([small(a), small(b)]);
  let diff = 0;
  let sum = 0;
  for (let i = 0; i < ra.length; i++) {
    diff += Math.abs(ra[i] - rb[i]);
    sum += ra[i];
  }
  const mean = sum / ra.length;
  let variance = 0;
  for (let i = 0; i < ra.length; i++) variance += (ra[i] - mean) ** 2;
  return { meanDiff: diff / ra.length, spreadA: Math.sqrt(variance / ra.length) };
}

/** What a page reports (console lines, failed requests, refused sockets), for a failure's message. */
function watchPage(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (m) => seen.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => seen.push(`failed: ${r.url().replace(/\/viewer\/[^/]+\//, '/viewer/…/')} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) seen.push(`${r.status()}: ${r.url().replace(/\/viewer\/[^/]+\//, '/viewer/…/')}`);
  });
  page.on('websocket', (ws) => ws.on('close', () => seen.push('websocket closed')));
  return seen;
}

/**
 * Opens `url` and waits for noVNC to connect. Chromium aborts requests in flight when the host's interfaces
 * change (ERR_NETWORK_CHANGED: Docker adding or removing a bridge for any test on this machine); then the page,
 * already inside its session, is reloaded, at most twice.
 */
async function gotoConnected(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const seen = watchPage(page);
    if (attempt === 1) await page.goto(url);
    else await page.reload();
    try {
      await novncConnected(page);
      return;
    } catch (err) {
      if (attempt < 3 && seen.some((line) => line.includes('ERR_NETWORK_CHANGED'))) continue;
      throw new Error(`${(err as Error).message}\npage: ${seen.join('\n')}`);
    } finally {
      seen.length = 0;
      page.removeAllListeners('console').removeAllListeners('pageerror').removeAllListeners('requestfailed').removeAllListeners('response');
    }
  }
}

/**
 * Speaks RFB 3.8 through a viewer session's WebSocket as a client that ignores view-only: the handshake, then a
 * click at (200, 150), the keys of `text` and Return, then a FramebufferUpdateRequest; waits for a framebuffer
 * update (so the relay has passed everything sent before it) and closes. Resolves with the input messages sent.
 */
async function sendRfbInput(url: string, cookie: string, text: string): Promise<number> {
  const ws = new WebSocket(url, { headers: { cookie } });
  let buffered = Buffer.alloc(0);
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    waiters.splice(0).forEach((w) => w());
  });
  const read = async (n: number): Promise<Buffer> => {
    while (buffered.length < n) await new Promise<void>((r) => waiters.push(r));
    const out = buffered.subarray(0, n);
    buffered = buffered.subarray(n);
    return out;
  };
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  assert.equal((await read(12)).toString('latin1'), 'RFB 003.008\n');
  ws.send(Buffer.from('RFB 003.008\n', 'latin1'));
  const count = (await read(1))[0];
  assert.ok([...(await read(count))].includes(1), 'security type None offered');
  ws.send(Buffer.from([1]));
  assert.equal((await read(4)).readUInt32BE(0), 0, 'security result ok');
  ws.send(Buffer.from([1]));
  const init = await read(24);
  await read(init.readUInt32BE(20)); // desktop name
  const messages: Buffer[] = [];
  const pointer = (mask: number) => Buffer.from([5, mask, 0, 200, 0, 150]);
  messages.push(pointer(1), pointer(0));
  const key = (down: number, sym: number) => {
    const b = Buffer.alloc(8);
    b[0] = 4;
    b[1] = down;
    b.writeUInt32BE(sym, 4);
    return b;
  };
  for (const sym of [...[...text].map((c) => c.charCodeAt(0)), 0xff0d]) messages.push(key(1, sym), key(0, sym));
  for (const m of messages) ws.send(m);
  ws.send(Buffer.from([3, 0, 0, 0, 0, 0, 4, 0, 3, 0])); // a full update of a 1024x768 screen
  await read(1);
  ws.close();
  return messages.length;
}


describe('Connect: the project desktop in a real browser through the platform (chromium, noVNC, stand-in VM)', () => {
  let issuer: OidcIssuerHandle;
  let rt: RuntimeTestEnv;
  let api: TestApi;
  let worker: TestWorker;
  let alice: TestUser;
  let bob: TestUser;
  let browser: Browser;
  let tools: Client;
  let aliceSocket: Socket;
  const notices: ViewerOpenedEvent[] = [];
  const admin = adminPool();
  const project = { id: '' };
  const bobProject = { id: '' };
  /** Every ticket and session id handed out, to search the logs for. */
  const secrets: string[] = [];
  let bobSessions = 0;

  const screenshot = async (): Promise<Buffer> => {
    const r = (await tools.callTool({ name: 'computer', arguments: { action: 'screenshot' } }, undefined, { timeout: 60_000 })) as ToolResult;
    const img = r.content.find((c) => c.type === 'image');
    assert.ok(img?.data, 'an MCP screenshot');
    return Buffer.from(img.data, 'base64');
  };

  const openTicket = async (user: TestUser, projectId: string, body: Record<string, unknown> = {}) => {
    const res = await api.as(user).post(`/api/projects/${projectId}/viewer`).send(body).expect(201);
    const { url, expires_at, view_only } = res.body as { url: string; expires_at: string; view_only: boolean };
    assert.match(url, /^\/viewer\/t\/[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(expires_at) > Date.now());
    secrets.push(url.slice('/viewer/t/'.length));
    return { url, view_only };
  };

  /** Follows a ticket link without a browser: the session's path and cookie. */
  const redeem = async (url: string) => {
    const res = await fetch(`${api.url()}${url}`, { redirect: 'manual' });
    if (res.status !== 303) return { status: res.status, body: (await res.json()) as { message: string } };
    const location = res.headers.get('location')!;
    const cookie = res.headers.getSetCookie()[0];
    const session = /^\/viewer\/([A-Za-z0-9_-]{24})\/vnc\.html\?/.exec(location)?.[1];
    assert.ok(session, location);
    secrets.push(session);
    return { status: 303, location, cookie, session, cookiePair: cookie.split(';')[0] };
  };

  /** A fresh browser window on a viewer link; resolves once noVNC reports its connection up. */
  const openInBrowser = async (url: string): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const page = await context.newPage();
    await gotoConnected(page, `${api.url()}${url}`);
    return { context, page };
  };

  before(async () => {
    issuer = await startOidcIssuer();
    rt = await runtimeTestEnv('viewer');
    const env = {
      ...rt.env,
      PROVISION_HEALTH_TIMEOUT_MS: '60000',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:viewer`,
      VIEWER_TICKET_TTL_S: String(TICKET_TTL_S),
      VIEWER_CHECK_INTERVAL_MS: '500',
      VIEWER_MAX_PER_PROJECT: String(MAX_VIEWERS_PER_PROJECT),
      VIEWER_MAX_PER_USER: '20',
    };
    api = await startTestApi(issuer, env);
    await api.listen();
    worker = await startTestWorker(env);
    alice = await createUser(api, issuer, 'viewer-a');
    bob = await createUser(api, issuer, 'viewer-b');
    const a = await createProject(api, alice, { name: 'View A' });
    const b = await createProject(api, bob, { name: 'View B' });
    await api.as(alice).waitForProject(a.id, 'running', { logs: worker.logs });
    await api.as(bob).waitForProject(b.id, 'running', { logs: worker.logs });
    project.id = a.id;
    bobProject.id = b.id;
    const container = await runtime.inspectContainer(containerName('tools', project.id));
    tools = new Client({ name: 'pantheon-e2e-viewer', version: '1.0.0' });
    await tools.connect(
      new StreamableHTTPClientTransport(new URL(`http://${container!.networks[rt.env.TOOLS_NETWORK]}:8090/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${toolsApiCredential(ring(), project.id)}` } },
      }),
    );
    // The desktop (twm, the xterm) is drawn once the agent is up: wait for it, so the screen is settled.
    await eventually(async () => {
      const r = (await tools.callTool({ name: 'vm_status', arguments: {} })) as ToolResult;
      return /agent_ready/.test(r.content.map((c) => c.text ?? '').join('')) ? true : undefined;
    }, 60_000, 'the stand-in desktop ready');
    aliceSocket = await api.as(alice).socket();
    aliceSocket.on('viewer:opened', (e: ViewerOpenedEvent) => notices.push(e));
    assert.deepEqual(await subscribe(aliceSocket, { channel: 'project-updates' }), { ok: true, room: `user:${alice.id}`, replayed: 0 });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await tools?.close().catch(() => undefined);
    await stopProjectSuite({ worker, api, rt, admin, owners: [alice, bob], services: [issuer] });
  });

  it("points viewer_url at the route that opens a viewer, not at the VM's address", async () => {
    const got = await api.as(alice).get(`/api/projects/${project.id}`).expect(200);
    assert.equal(got.body.viewer_url, `/api/projects/${project.id}/viewer`);
    assert.ok(!JSON.stringify(got.body.viewer_url).includes('8006'));
  });

  it('shows the VM screen in noVNC, and a click and typing in the browser change it', async () => {
    const { url, view_only } = await openTicket(alice, project.id);
    assert.equal(view_only, false);
    const { context, page } = await openInBrowser(url);
    try {
      const landed = new URL(page.url());
      assert.match(landed.pathname, /^\/viewer\/[A-Za-z0-9_-]{24}\/vnc\.html$/);
      assert.deepEqual(Object.fromEntries(landed.searchParams), {
        autoconnect: '1', path: `${landed.pathname.slice(1, -'vnc.html'.length)}websockify`, resize: 'scale',
        host: '127.0.0.1', port: landed.port, encrypt: '0',
      });
      const cookies = await context.cookies();
      assert.equal(cookies.length, 1);
      assert.deepEqual([cookies[0].httpOnly, cookies[0].sameSite, cookies[0].path], [true, 'Strict', new URL(page.url()).pathname.replace(/vnc\.html$/, '')]);

      // The canvas shows the desktop (not blank) and matches what the MCP tools see.
      const mcp = await screenshot();
      const shown = await eventually(async () => {
        const png = await novncCanvasPng(page);
        const { meanDiff, spreadA } = await compare(png, mcp);
        return spreadA > 10 && meanDiff < 6 ? { png, meanDiff, spreadA } : undefined;
      }, 20_000, 'the canvas to show the VM screen');
      const meta = await sharp(shown.png).metadata();
      assert.deepEqual([meta.width, meta.height], [1024, 768], 'the canvas holds the 1024x768 framebuffer');
      // A blank canvas would not match: the comparison can tell screens apart.
      const blank = await sharp({ create: { width: 1024, height: 768, channels: 3, background: '#000000' } }).png().toBuffer();
      assert.ok((await compare(blank, mcp)).meanDiff > 20);

      // Click into the terminal and type: the VM's own screen (seen through MCP) changes.
      const before = await screenshot();
      const point = await canvasPoint(page, 200, 150);
      // noVNC may still be settling its input handlers after the first frame: input is sent again until the VM
      // shows it (each round types a full command, so any one that lands changes the terminal).
      const share = await eventually(async () => {
        await page.mouse.click(point.x, point.y);
        await page.keyboard.type('echo typed-in-the-browser');
        await page.keyboard.press('Enter');
        await new Promise((resolve) => setTimeout(resolve, 500));
        const s = await changedShare(before, await screenshot());
        return s > 0.001 ? s : undefined;
      }, 30_000, 'the VM screen to change after browser input', 1000);
      assert.ok(share > 0.001);
    } finally {
      await context.close();
    }
  });

  it('records viewer.opened in the audit trail and tells the owner socket', async () => {
    const audit = await api.as(alice).get('/api/user/audit?action=viewer.opened').expect(200);
    const entry = (audit.body.data as { action: string; target_id: string; metadata: { view_only: boolean } }[])[0];
    assert.deepEqual([entry?.action, entry?.target_id, entry?.metadata], ['viewer.opened', project.id, { view_only: false }]);
    await eventually(async () => (notices.some((n) => n.projectId === project.id && n.viewOnly === false) ? true : undefined), 5_000, 'viewer:opened on the socket');
  });

  it('in view_only mode shows the screen, but no input reaches the VM, not even from a client that sends it', async () => {
    const { url, view_only } = await openTicket(alice, project.id, { view_only: true });
    assert.equal(view_only, true);
    const { context, page } = await openInBrowser(url);
    try {
      assert.match(page.url(), /[?&]view_only=1/, "noVNC's own view-only switch is on");
      const before = await screenshot();
      await eventually(async () => ((await compare(await novncCanvasPng(page), before)).meanDiff < 6 ? true : undefined), 20_000, 'the canvas to show the VM screen');
      const point = await canvasPoint(page, 200, 200);
      await page.mouse.click(point.x, point.y);
      await page.keyboard.type('echo must-not-arrive');
      await page.keyboard.press('Enter');

      // A client that ignores view-only (what a modified page could do) speaks RFB through the same session:
      // the relay drops its keys and pointer events.
      const sessionId = /\/viewer\/([^/]+)\//.exec(page.url())![1];
      const [cookie] = await context.cookies();
      const droppedBefore = viewerDroppedInput(api.app);
      const sent = await sendRfbInput(`${api.url().replace('http', 'ws')}/viewer/${sessionId}/websockify`, `${cookie.name}=${cookie.value}`, 'echo rogue-input');
      await eventually(async () => (viewerDroppedInput(api.app) - droppedBefore >= sent ? true : undefined), 20_000, 'the relay to drop the input')
        .catch((err: Error) => {
          throw new Error(`${err.message}; dropped ${viewerDroppedInput(api.app) - droppedBefore} of ${sent}`);
        });
      await context.close();
      assert.equal(await changedShare(before, await screenshot()), 0, 'no input reached the VM');
    } finally {
      await context.close();
    }
  });

  it('refuses a ticket used twice, with a clear message', async () => {
    const { url } = await openTicket(alice, project.id);
    const first = await redeem(url);
    assert.equal(first.status, 303);
    const second = await redeem(url);
    assert.equal(second.status, 410);
    assert.match(second.body!.message, /already used/);
    const garbage = await redeem('/viewer/t/not-a-ticket');
    assert.equal(garbage.status, 404);
  });

  it('refuses an expired ticket', async () => {
    const { url } = await openTicket(alice, project.id);
    await new Promise((r) => setTimeout(r, (TICKET_TTL_S + 1) * 1000));
    const late = await redeem(url);
    assert.equal(late.status, 410);
    assert.match(late.body!.message, /expired/);
  });

  it("refuses another user's project, session and cookie, over HTTP and WebSocket", async () => {
    await api.as(bob).post(`/api/projects/${project.id}/viewer`).send({}).expect(404);
    await api.as(alice).post(`/api/projects/${project.id}/viewer`).send({ view_only: 'yes' }).expect(400);
    await api.http().post(`/api/projects/${project.id}/viewer`).send({}).expect(401);
    const a = await redeem((await openTicket(alice, project.id)).url);
    const b = await redeem((await openTicket(bob, bobProject.id)).url);
    bobSessions++;
    const get = (session: string, cookie?: string) =>
      fetch(`${api.url()}/viewer/${session}/vnc.html`, { headers: cookie ? { cookie } : {} });
    assert.equal((await get(a.session!, a.cookiePair)).status, 200, 'her own session and cookie');
    assert.equal((await get(b.session!, b.cookiePair)).status, 200);
    assert.equal((await get(a.session!, b.cookiePair)).status, 403, "bob's cookie on alice's session");
    assert.equal((await get(b.session!, a.cookiePair)).status, 403, "alice's cookie on bob's session");
    assert.equal((await get(a.session!)).status, 403, 'no cookie');
    const refused = await get(a.session!, b.cookiePair);
    assert.match(((await refused.json()) as { message: string }).message, /ended or is not yours/);

    const upgrade = (session: string, cookie: string) =>
      new Promise<number | string>((resolve) => {
        const ws = new WebSocket(`${api.url().replace('http', 'ws')}/viewer/${session}/websockify`, { headers: { cookie } });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('message', (data) => {
          resolve(String(data));
          ws.close();
        });
        ws.once('error', () => resolve('error'));
      });
    assert.equal(await upgrade(a.session!, b.cookiePair!), 403);
    assert.equal(await upgrade(`${a.session!}/../x`, a.cookiePair!), 404, 'not a viewer socket path');
    assert.equal(await upgrade(a.session!, a.cookiePair!), 'RFB 003.008\n', "the VM's VNC server greets through the relay");
  });

  it('limits the viewers open on a project', async () => {
    for (; bobSessions < MAX_VIEWERS_PER_PROJECT; bobSessions++) assert.equal((await redeem((await openTicket(bob, bobProject.id)).url)).status, 303);
    const over = await redeem((await openTicket(bob, bobProject.id)).url);
    assert.equal(over.status, 409);
    assert.match(over.body!.message, /viewers open/);
  });

  it('ends an open viewer when the project is deleted, and refuses its tickets and sessions afterwards', async () => {
    const { url } = await openTicket(alice, project.id);
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const page = await context.newPage();
    const closed = new Promise<void>((resolve) => {
      page.on('websocket', (ws) => {
        if (ws.url().endsWith('/websockify')) ws.on('close', () => resolve());
      });
    });
    try {
      await gotoConnected(page, `${api.url()}${url}`);
      const sessionPath = new URL(page.url()).pathname.replace(/vnc\.html$/, '');
      const spare = await openTicket(alice, project.id);
      await api.as(alice).delete(`/api/projects/${project.id}?confirm=${encodeURIComponent('View A')}`).expect(202);
      // A ticket issued before the deletion, used after it.
      const late = await redeem(spare.url);
      assert.ok([404, 409].includes(late.status), `a ticket of the deleted project: ${late.status}`);
      await closed;
      await novncDisconnected(page);
      const again = await page.goto(`${api.url()}${sessionPath}vnc.html`);
      assert.ok([403, 404, 409].includes(again!.status()), `the session's path after deletion: ${again!.status()}`);
      const post = await api.as(alice).post(`/api/projects/${project.id}/viewer`).send({});
      assert.ok([404, 409].includes(post.status), `a new viewer of the deleted project: ${post.status}`);
    } finally {
      await context.close();
    }
  });

  it('answers 409 while a project is not running', async () => {
    const p = await createProject(api, bob, { name: 'View C' });
    const res = await api.as(bob).post(`/api/projects/${p.id}/viewer`).send({}).expect(409);
    assert.match(res.body.message, /not running/);
    await api.as(bob).delete(`/api/projects/${p.id}?confirm=${encodeURIComponent('View C')}`).expect(202);
  });

  it('never writes a ticket or a session id to the logs', () => {
    assert.ok(secrets.length > 5);
    const logs = api.logs.join('\n');
    for (const s of secrets) assert.ok(!logs.includes(s), 'a viewer secret in the API log');
    assert.match(logs, /\/viewer\/t\/\[ticket\]/);
  });
});
