'use strict';
/**
 * Read-only file server for a project's shared folder (mounted at /shared).
 *
 *   GET /health                  → {"status":"ok","role":"share"}
 *   GET /files[?path=<dir>]      → JSON listing of a directory
 *   GET /shared/<path>           → file content (a directory answers with its JSON listing)
 *
 * Security rules: only GET/HEAD; no path segment may be `..` or start with a dot, so dotfiles such as
 * `.env` are neither listed nor served; the resolved real path must stay inside the root, so symlinks
 * cannot escape it; served content is sandboxed (CSP) and never sniffed.
 * Dependency-free so it runs on the bare node rootfs built by build-standin-images.sh.
 */
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(process.env.SHARE_ROOT || '/shared');
const PORT = Number(process.env.SHARE_PORT) || 8080;

const CONTENT_TYPES = {
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
};

class HttpError extends Error {
  constructor(status, code) {
    super(code);
    this.status = status;
    this.code = code;
  }
}

function sendJson(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(payload);
}

/** Splits a decoded relative path into segments, rejecting traversal and hidden names. */
function safeSegments(relative) {
  if (relative.includes('\0') || relative.includes('\\')) throw new HttpError(400, 'invalid_path');
  const segments = relative.split('/').filter((segment) => segment !== '');
  for (const segment of segments) {
    if (segment === '..') throw new HttpError(400, 'invalid_path');
    // Answer "not found" for dotfiles so their existence is not revealed.
    if (segment.startsWith('.')) throw new HttpError(404, 'not_found');
  }
  return segments;
}

let rootRealPath;

/** Resolves a request path to a real path inside the root, following symlinks only if they stay inside. */
async function resolveInsideRoot(relative) {
  rootRealPath ??= await fsp.realpath(ROOT);
  const candidate = path.join(rootRealPath, ...safeSegments(relative));
  let real;
  try {
    real = await fsp.realpath(candidate);
  } catch {
    throw new HttpError(404, 'not_found');
  }
  const fromRoot = path.relative(rootRealPath, real);
  if (fromRoot.startsWith('..') || path.isAbsolute(fromRoot)) throw new HttpError(404, 'not_found');
  // A symlink inside the root may still point at a dotfile inside it.
  safeSegments(fromRoot.split(path.sep).join('/'));
  return { real, relative: fromRoot.split(path.sep).join('/') };
}

async function listDirectory(real, relative) {
  const dirents = await fsp.readdir(real, { withFileTypes: true });
  const entries = [];
  for (const dirent of dirents) {
    // Symlinks and special files are left out; only plain files and directories are shared.
    if (dirent.name.startsWith('.') || !(dirent.isFile() || dirent.isDirectory())) continue;
    const stats = await fsp.lstat(path.join(real, dirent.name)).catch(() => null);
    if (stats === null) continue;
    entries.push({
      name: dirent.name,
      type: dirent.isDirectory() ? 'directory' : 'file',
      size: dirent.isFile() ? stats.size : null,
      modifiedAt: stats.mtime.toISOString(),
    });
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  return { path: relative, entries };
}

async function serveFile(res, real) {
  const stats = await fsp.stat(real);
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
    'content-length': stats.size,
    'x-content-type-options': 'nosniff',
    // Shared files are user content: never let a browser run them as part of this origin.
    'content-security-policy': "sandbox; default-src 'none'",
  });
  await new Promise((resolve, reject) => {
    const stream = fs.createReadStream(real);
    stream.once('error', reject);
    res.once('close', resolve);
    stream.pipe(res);
  });
}

async function serveEntry(res, relative) {
  const { real, relative: normalized } = await resolveInsideRoot(relative);
  const stats = await fsp.stat(real);
  if (stats.isDirectory()) return sendJson(res, 200, await listDirectory(real, normalized));
  if (stats.isFile()) return serveFile(res, real);
  throw new HttpError(404, 'not_found');
}

function decodePath(encoded) {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, 'invalid_path');
  }
}

async function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method_not_allowed');
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok', role: 'share' });
  if (url.pathname === '/files') {
    const { real, relative } = await resolveInsideRoot(url.searchParams.get('path') ?? '');
    if (!(await fsp.stat(real)).isDirectory()) throw new HttpError(400, 'not_a_directory');
    return sendJson(res, 200, await listDirectory(real, relative));
  }
  if (url.pathname === '/shared' || url.pathname.startsWith('/shared/')) {
    return serveEntry(res, decodePath(url.pathname.slice('/shared'.length)));
  }
  throw new HttpError(404, 'not_found');
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    if (res.headersSent) return res.destroy();
    if (error instanceof HttpError) return sendJson(res, error.status, { error: error.code });
    return sendJson(res, 500, { error: 'internal' });
  });
});
server.listen(PORT, '0.0.0.0');

// As PID 1 node gets no default signal handlers; without these `docker stop` waits for its kill timeout.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
