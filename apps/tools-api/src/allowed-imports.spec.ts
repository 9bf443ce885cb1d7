import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

/**
 * The image holds node, the bundle's production node_modules and dist/libs, and this compiled folder
 * without specs and testing/ (deploy/tools-api.Dockerfile). So a shipped file may require only node
 * built-ins, other shipped files, the guest-agent protocol (libs/guest-agent, compiled next to it) and the
 * few packages below, each a production dependency. Anything else (Nest, Prisma, other libs) would drag the
 * platform into a container that sits on a project network.
 */
const ROOT = __dirname;
const ALLOWED_PACKAGES = ['@modelcontextprotocol/sdk', 'zod', 'sharp'];
/** dist/libs/guest-agent/src, where tsc-alias points `@pantheon/guest-agent`. */
const GUEST_AGENT_LIB = path.resolve(ROOT, '../../../libs/guest-agent/src');

function shippedFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : shippedFiles(full);
    return entry.name.endsWith('.js') && !entry.name.endsWith('.spec.js') ? [full] : [];
  });
}

/** `zod` → zod, `@modelcontextprotocol/sdk/server/mcp.js` → @modelcontextprotocol/sdk. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function repoPackageJson(): { dependencies: Record<string, string> } {
  for (let dir = ROOT; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; dependencies: Record<string, string> };
      if (manifest.name === 'pantheon') return manifest;
    }
  }
  throw new Error('package.json of pantheon not found');
}

describe('compiled tools API', () => {
  it('requires only node built-ins, its own shipped files, the guest-agent protocol and the allowed packages', () => {
    const files = shippedFiles(ROOT);
    assert.ok(files.includes(path.join(ROOT, 'main.js')));
    const shipped = new Set(files);
    const used = new Set<string>();
    for (const file of files) {
      const name = path.relative(ROOT, file);
      for (const match of readFileSync(file, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) {
        const specifier = match[1] ?? '';
        if (specifier.startsWith('.')) {
          const target = path.resolve(path.dirname(file), specifier);
          const inLib = target === GUEST_AGENT_LIB || target.startsWith(`${GUEST_AGENT_LIB}${path.sep}`);
          const resolved = [`${target}.js`, path.join(target, 'index.js')].some((candidate) => shipped.has(candidate) || (inLib && existsSync(candidate)));
          assert.ok(resolved, `${name} requires ${specifier} (neither shipped nor the guest-agent protocol)`);
        } else if (!builtinModules.includes(specifier.replace(/^node:/, ''))) {
          const pkg = packageName(specifier);
          assert.ok(ALLOWED_PACKAGES.includes(pkg), `${name} requires ${specifier}`);
          used.add(pkg);
        }
      }
    }
    // The MCP server is really wired in (not dead code the check would trivially pass on).
    assert.ok(used.has('@modelcontextprotocol/sdk') && used.has('zod'), [...used].join(','));
  });

  it('takes every allowed package from the production dependencies (the pruned bundle keeps only those)', () => {
    const { dependencies } = repoPackageJson();
    for (const pkg of ALLOWED_PACKAGES) assert.ok(dependencies[pkg], `${pkg} is not a production dependency`);
  });
});
