import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

/**
 * The image holds node and this compiled folder only (no node_modules), without specs and testing/.
 * Every require of a shipped file must therefore be a node built-in or another shipped file.
 */
const ROOT = __dirname;

function shippedFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : shippedFiles(full);
    return entry.name.endsWith('.js') && !entry.name.endsWith('.spec.js') ? [full] : [];
  });
}

describe('compiled tools API', () => {
  it('requires only node built-ins and its own shipped files', () => {
    const files = shippedFiles(ROOT);
    assert.ok(files.includes(path.join(ROOT, 'main.js')));
    const shipped = new Set(files);
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) {
        const specifier = match[1] ?? '';
        if (specifier.startsWith('.')) {
          const target = path.resolve(path.dirname(file), specifier);
          assert.ok(shipped.has(`${target}.js`), `${path.relative(ROOT, file)} requires ${specifier} (not shipped)`);
        } else {
          const builtin = builtinModules.includes(specifier.replace(/^node:/, ''));
          assert.ok(builtin, `${path.relative(ROOT, file)} requires ${specifier}`);
        }
      }
    }
  });
});
