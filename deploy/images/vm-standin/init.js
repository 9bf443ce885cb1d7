'use strict';
/**
 * Init of the stand-in for dockurr/windows (machines without KVM or a registry), run by tini as PID 1.
 *
 * Boots like the real VM, in phases (GET :8006/status):
 *   booting      Xvnc starts: a real RFB server on :5900 (TigerVNC, no password, like QEMU's VNC in dockurr);
 *   desktop      the X display is up: background, twm and an xterm are started, then the guest agent;
 *   agent_ready  the guest agent answers GET /health on :9000 (before that, :9000 refuses connections).
 * The agent is the REAL one, from the project's /oem, exactly the files the Windows install.bat starts
 * (/oem/pantheon/agent/apps/guest-agent/src/main.js, token /oem/pantheon/agent-token), run by this image's Linux
 * node with the Linux adapter (xdotool, xclip) on DISPLAY=:0. When /oem holds no agent (an empty OEM folder, as
 * older tests use) the copy baked into the image at /opt/pantheon/agent runs instead, with /oem's token if there
 * is one, else a random token nobody knows: its public routes (/health, /version, /info, /probe) work, commands
 * are refused. Like the VBScript supervisor on Windows, the agent is restarted when it exits.
 *
 * Port 8006 is dockurr's viewer, as there: the real noVNC (its files at /opt/novnc: `core/` and `vendor/` from
 * the npm package @novnc/novnc, `vnc.html` and `app/` from the same noVNC release) and a WebSocket at
 * `/websockify` bridged to the VNC server on 127.0.0.1:5900 (websockify's job in dockurr: binary messages ↔ TCP
 * bytes). Also GET /health → {"status":"ok","role":"vm"} and GET /status, the phase.
 *
 * Node built-ins plus the npm package `ws` (copied into the rootfs at /app/node_modules/ws).
 */
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, mkdirSync, readFile, writeFileSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { WebSocketServer } = require('ws');

const DISPLAY = ':0';
const RFB_PORT = 5900;
const VIEWER_PORT = 8006;
const AGENT_PORT = 9000;
const NODE = process.execPath;
const OEM_AGENT = '/oem/pantheon/agent/apps/guest-agent/src/main.js';
const OEM_TOKEN = '/oem/pantheon/agent-token';
const BAKED_AGENT = '/opt/pantheon/agent/apps/guest-agent/src/main.js';
const FALLBACK_TOKEN = '/run/pantheon/agent-token';
const NOVNC_DIR = '/opt/novnc';
const SPEC_DEFAULTS = { VERSION: '11', RAM_SIZE: '4G', CPU_CORES: '2', DISK_SIZE: '64G' };

const state = { phase: 'booting', agent: null, since: new Date().toISOString() };
const children = new Set();
let stopping = false;

function log(msg, extra = {}) {
  process.stdout.write(`${JSON.stringify({ msg, phase: state.phase, ...extra })}\n`);
}

function setPhase(phase) {
  state.phase = phase;
  state.since = new Date().toISOString();
  log('phase');
}

/** dockurr/windows reads the VM spec from env with these defaults; the agent reports it in /info. */
function vmEnv() {
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root', DISPLAY, LANG: 'C.UTF-8' };
  for (const [key, fallback] of Object.entries(SPEC_DEFAULTS)) env[key] = process.env[key] || fallback;
  return env;
}

function start(name, file, args, options = {}) {
  const child = spawn(file, args, { env: options.env ?? vmEnv(), stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'] });
  children.add(child);
  let tail = '';
  child.stderr.on('data', (chunk) => {
    tail = (tail + chunk.toString()).slice(-2000);
  });
  child.once('error', (error) => log('spawn failed', { name, code: error.code }));
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) log('exited', { name, code, signal, stderr: tail.split('\n').slice(-5).join('\n') });
    if (options.onExit) options.onExit(code);
  });
  return child;
}

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not open after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function agentHealthy() {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: AGENT_PORT, path: '/health', timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('error', () => resolve(false));
    req.once('timeout', () => req.destroy());
  });
}

/** Which agent to run: the project's own from /oem, else the baked copy (see the header). */
function agentCommand() {
  if (existsSync(OEM_AGENT)) {
    state.agent = 'oem';
    return [OEM_AGENT, '--token-file', OEM_TOKEN];
  }
  state.agent = 'baked';
  if (existsSync(OEM_TOKEN)) return [BAKED_AGENT, '--token-file', OEM_TOKEN];
  if (!existsSync(FALLBACK_TOKEN)) {
    mkdirSync('/run/pantheon', { recursive: true, mode: 0o700 });
    writeFileSync(FALLBACK_TOKEN, randomBytes(32).toString('base64url'), { mode: 0o400 });
  }
  return [BAKED_AGENT, '--token-file', FALLBACK_TOKEN];
}

function startAgent() {
  const args = [...agentCommand(), '--port', String(AGENT_PORT), '--host', '0.0.0.0', '--adapter', 'linux'];
  log('agent starting', { agent: state.agent });
  start('guest-agent', NODE, args, {
    stdout: 'inherit',
    onExit: () => {
      if (stopping) return;
      if (state.phase === 'agent_ready') setPhase('desktop');
      setTimeout(startAgent, 2000);
    },
  });
  const poll = async () => {
    if (stopping || state.phase === 'agent_ready') return;
    if (await agentHealthy()) setPhase('agent_ready');
    else setTimeout(poll, 250);
  };
  poll();
}

function keepRunning(name, file, args, delayMs = 500, env = undefined) {
  const started = Date.now();
  start(name, file, args, {
    env,
    onExit: () => {
      if (stopping) return;
      // A client that ran for a while starts over with a short delay.
      const next = Date.now() - started > 30_000 ? 500 : Math.min(delayMs * 2, 30_000);
      setTimeout(() => keepRunning(name, file, args, next, env), delayMs);
    },
  });
}

async function boot() {
  const xvncArgs = [DISPLAY, '-rfbport', String(RFB_PORT), '-SecurityTypes', 'None', '-geometry', '1024x768', '-depth', '24',
    '-AlwaysShared', '-desktop', `Windows ${vmEnv().VERSION} (stand-in)`, '-nolisten', 'tcp'];
  start('Xvnc', '/usr/bin/Xvnc', xvncArgs, {
    onExit: () => {
      // No display, no desktop: exit so the container's restart policy boots it again.
      if (!stopping) shutdown(1);
    },
  });
  await waitForPort(RFB_PORT, 30_000);
  setPhase('desktop');
  start('xsetroot', '/usr/bin/xsetroot', ['-solid', '#0078d4']);
  // The desktop's clients come back when they exit (a window manager that raced the display, a closed
  // terminal), as Explorer does on Windows; the delay grows so a client that cannot start does not spin.
  // In a UTF-8 locale twm asks for a fontset of helvetica, which the image does not carry; in C it uses fixed.
  const { LANG: _lang, LC_ALL: _lcAll, ...cLocale } = vmEnv();
  keepRunning('twm', '/usr/bin/twm', [], 500, cLocale);
  keepRunning('xterm', '/usr/bin/xterm', ['-geometry', '80x24+40+40', '-fa', '', '-bg', 'white', '-fg', 'black', '-T', 'Terminal']);
  startAgent();
}

function sendJson(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), 'cache-control': 'no-store' });
  res.end(payload);
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.mp3': 'audio/mpeg',
  '.oga': 'audio/ogg',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
};

/** noVNC's files, as dockurr's nginx serves them (`/` is vnc.html). Nothing outside NOVNC_DIR is reachable. */
function serveViewerAsset(req, pathname, res) {
  const relative = pathname === '/' ? 'vnc.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
  const file = path.resolve(NOVNC_DIR, relative);
  const type = MIME[path.extname(file)];
  if (!file.startsWith(`${NOVNC_DIR}/`) || !type) return sendJson(res, 404, { error: 'not_found' });
  readFile(file, (err, body) => {
    if (err) return sendJson(res, 404, { error: 'not_found' });
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return undefined;
}

const viewer = http.createServer((req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method_not_allowed' });
  if (pathname === '/health') return sendJson(res, 200, { status: 'ok', role: 'vm' });
  if (pathname === '/status') {
    return sendJson(res, 200, { phase: state.phase, since: state.since, agent: state.agent, rfb_port: RFB_PORT, agent_port: AGENT_PORT });
  }
  try {
    return serveViewerAsset(req, pathname, res);
  } catch {
    return sendJson(res, 400, { error: 'bad_path' });
  }
});

/** websockify: each WebSocket is one TCP connection to the VNC server, binary messages carrying its bytes. */
const websockify = new WebSocketServer({ noServer: true, perMessageDeflate: false });
viewer.on('upgrade', (req, socket, head) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if (pathname !== '/websockify') {
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  websockify.handleUpgrade(req, socket, head, (ws) => {
    const vnc = net.connect({ host: '127.0.0.1', port: RFB_PORT });
    vnc.setNoDelay(true);
    vnc.on('data', (chunk) => {
      if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
    });
    vnc.on('error', () => ws.close(1011, 'vnc unavailable'));
    vnc.on('close', () => ws.close());
    ws.on('message', (data) => vnc.write(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)));
    ws.on('close', () => vnc.destroy());
    ws.on('error', () => vnc.destroy());
  });
});
viewer.listen(VIEWER_PORT, '0.0.0.0');

function shutdown(code) {
  if (stopping) return;
  stopping = true;
  viewer.close();
  for (const client of websockify.clients) client.terminate();
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1000).unref();
  setInterval(() => {
    if (children.size === 0) process.exit(code);
  }, 50).unref();
}

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => shutdown(0));

boot().catch((error) => {
  log('boot failed', { error: error.message });
  shutdown(1);
});
