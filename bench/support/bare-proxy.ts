/**
 * The floor of any gateway on this machine, for bench/gateway.bench.ts: a bare Node HTTP proxy in its own process
 * that forwards each request to the upstream over a keep-alive agent and pipes the answer back. No auth, no
 * routing, no metering, no logging: what loopback sockets, HTTP parsing and one more process cost by themselves.
 * Never shipped: only the benchmark starts it. Prints its port on stdout once listening.
 */
import http from 'node:http';

const upstream = new URL(process.env.BARE_PROXY_UPSTREAM ?? '');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
// The upstream's base path (e.g. /v1) replaces ours, so a client's baseURL of <proxy>/v1 maps onto it.
const basePath = upstream.pathname.replace(/\/$/, '');

const server = http.createServer((req, res) => {
  const path = basePath + (req.url ?? '/').replace(/^\/v1/, '');
  const headers = { ...req.headers, host: upstream.host };
  const out = http.request({ hostname: upstream.hostname, port: upstream.port, path, method: req.method, headers, agent }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
