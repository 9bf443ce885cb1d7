'use strict';
/**
 * Stand-in for the dockurr/windows VM image on machines without KVM or a registry.
 *
 * - Port 8006: the "viewer" (the real image serves noVNC there): `/` is a small HTML page,
 *   `GET /health` → {"status":"ok","role":"vm"}.
 * - Port 9000: the Pantheon guest-agent protocol, as the in-guest agent installed from /oem serves it:
 *   `GET /health`, `GET /info` (the VM spec taken from the same env vars the real image reads) and
 *   `GET /probe?host=<ipv4>&port=<n>` (TCP reachability from inside the VM, used by isolation checks).
 *
 * Dependency-free so it runs on the bare node rootfs built by build-standin-images.sh.
 */
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');

const VIEWER_PORT = 8006;
const AGENT_PORT = 9000;
const PROBE_TIMEOUT_MS = 1500;

// Defaults of dockurr/windows, so an unset variable reads the way the real VM would boot.
const SPEC_DEFAULTS = { VERSION: '11', RAM_SIZE: '4G', CPU_CORES: '2', DISK_SIZE: '64G' };

function vmSpec() {
  const spec = {};
  for (const [key, fallback] of Object.entries(SPEC_DEFAULTS)) {
    spec[key] = process.env[key] || fallback;
  }
  return spec;
}

function sendJson(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

/** Resolves true when a TCP connection to host:port opens within the timeout. */
function probeTcp(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (reachable) => {
      socket.destroy();
      resolve(reachable);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

function viewerPage() {
  const spec = vmSpec();
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Pantheon VM viewer (stand-in)</title></head>
<body>
<h1>Windows ${spec.VERSION} (stand-in)</h1>
<p>Host ${os.hostname()} &middot; ${spec.CPU_CORES} CPU &middot; ${spec.RAM_SIZE} RAM &middot; ${spec.DISK_SIZE} disk</p>
<canvas id="screen" width="1024" height="768" style="background:#0078d4"></canvas>
</body>
</html>
`;
}

function handleViewer(req, res) {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendJson(res, 405, { error: 'method_not_allowed' });
  }
  if (pathname === '/health') {
    return sendJson(res, 200, { status: 'ok', role: 'vm' });
  }
  if (pathname === '/') {
    const page = viewerPage();
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(page),
    });
    // node drops the body of HEAD responses itself.
    return res.end(page);
  }
  return sendJson(res, 404, { error: 'not_found' });
}

async function handleAgent(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET') {
    return sendJson(res, 405, { error: 'method_not_allowed' });
  }
  switch (url.pathname) {
    case '/health':
      return sendJson(res, 200, {
        status: 'ok',
        agent: 'pantheon-guest-agent',
        version: '1',
        hostname: os.hostname(),
        os: 'windows-11-standin',
      });
    case '/info':
      return sendJson(res, 200, { hostname: os.hostname(), os: 'windows-11-standin', spec: vmSpec() });
    case '/probe': {
      const host = url.searchParams.get('host') ?? '';
      const port = Number(url.searchParams.get('port'));
      // IP literals only: a probe must never trigger a DNS lookup or reach a name the caller did not pin.
      if (net.isIPv4(host) === false || !Number.isInteger(port) || port < 1 || port > 65535) {
        return sendJson(res, 400, { error: 'invalid_target', message: 'host must be an IPv4 address, port 1-65535' });
      }
      return sendJson(res, 200, { host, port, reachable: await probeTcp(host, port) });
    }
    default:
      return sendJson(res, 404, { error: 'not_found' });
  }
}

function serve(port, handler) {
  const server = http.createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'internal' });
      else res.destroy();
    });
  });
  server.listen(port, '0.0.0.0');
  return server;
}

const servers = [serve(VIEWER_PORT, handleViewer), serve(AGENT_PORT, handleAgent)];

// As PID 1 node gets no default signal handlers; without these `docker stop` waits for its kill timeout.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    for (const server of servers) server.close();
    process.exit(0);
  });
}
