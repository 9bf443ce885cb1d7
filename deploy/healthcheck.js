'use strict';
/**
 * Docker HEALTHCHECK probe, dependency-free (the images have node but no shell or curl):
 *   node /app/healthcheck.js 'http://${API_HOST:-127.0.0.1}:${API_PORT:-3000}/ready'
 * `${NAME:-default}` is filled from the container's environment (exec-form HEALTHCHECK has no shell), so
 * the probe follows the port and address the app was configured with; a wildcard bind address (0.0.0.0,
 * ::) is probed on loopback. Exit 0 on a 2xx answer within the timeout, 1 otherwise.
 */
const http = require('node:http');

const TIMEOUT_MS = Number(process.env.HEALTHCHECK_TIMEOUT_MS) || 4000;
const WILDCARDS = new Map([
  ['0.0.0.0', '127.0.0.1'],
  ['::', '::1'],
  ['[::]', '::1'],
]);

function expand(template) {
  return template.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_, name, fallback) => {
    const raw = process.env[name] || fallback || '';
    const value = WILDCARDS.get(raw) ?? raw;
    // An IPv6 literal needs brackets in a URL's host.
    return value.includes(':') && !value.startsWith('[') ? `[${value}]` : value;
  });
}

function fail(reason) {
  process.stderr.write(`unhealthy: ${reason}\n`);
  process.exit(1);
}

const template = process.argv[2];
if (!template) fail('usage: healthcheck.js <url>');
let url;
try {
  url = new URL(expand(template));
} catch {
  fail(`not a URL: ${expand(template)}`);
}
if (url.protocol !== 'http:') fail(`only http:// is probed, not ${url.protocol}`);

const req = http.get(url, { timeout: TIMEOUT_MS }, (res) => {
  res.resume();
  const ok = res.statusCode >= 200 && res.statusCode < 300;
  if (!ok) fail(`${url.pathname} answered ${res.statusCode}`);
  process.exit(0);
});
req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
req.on('error', (err) => fail(`${url.host}${url.pathname}: ${err.message}`));
