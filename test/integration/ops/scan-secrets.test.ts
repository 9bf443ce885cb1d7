/**
 * scripts/scan-secrets.sh and the pre-commit hook from scripts/install-hooks.sh, run for real: against this
 * repository, and against throw-away git repositories with keys planted at run time (nothing key-shaped is
 * committed here).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findRepoRoot } from '../../support/oidc';

const ROOT = findRepoRoot();
const alnum = (n: number): string => randomBytes(n * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, n);

function run(cmd: string, args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('scan-secrets', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function scratchRepo(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'pantheon-scan-'));
    dirs.push(dir);
    mkdirSync(path.join(dir, 'scripts'));
    copyFileSync(path.join(ROOT, 'scripts/scan-secrets.sh'), path.join(dir, 'scripts/scan-secrets.sh'));
    copyFileSync(path.join(ROOT, 'scripts/install-hooks.sh'), path.join(dir, 'scripts/install-hooks.sh'));
    assert.equal(run('git', ['init', '-q'], dir).status, 0);
    writeFileSync(path.join(dir, 'README.md'), 'clean\n');
    assert.equal(run('git', ['add', '.'], dir).status, 0);
    assert.equal(run('git', ['commit', '-qm', 'init'], dir).status, 0);
    return dir;
  }

  it('passes on this repository', () => {
    const r = run('bash', ['scripts/scan-secrets.sh'], ROOT);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /no credentials found/);
  });

  it('catches planted provider keys, a private key and a committed .env, naming file and line but not the secret', () => {
    const dir = scratchRepo();
    const openai = `sk-proj-${alnum(40)}`;
    const google = `AIza${alnum(35)}`;
    writeFileSync(path.join(dir, 'config.ts'), `export const a = 1;\nexport const key = '${openai}';\n`);
    writeFileSync(path.join(dir, 'gemini.txt'), `GEMINI=${google}\n`);
    writeFileSync(path.join(dir, 'id.pem'), `-----BEGIN ${'PRIVATE'} KEY-----\nMIIB\n`);
    writeFileSync(path.join(dir, '.env'), 'DATABASE_URL=postgres://x\n');
    run('git', ['add', '.'], dir);
    const r = run('bash', ['scripts/scan-secrets.sh'], dir);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /config\.ts:2: looks like a OpenAI/);
    assert.match(r.out, /gemini\.txt:1: looks like a Google API key/);
    assert.match(r.out, /id\.pem:1: looks like a private key/);
    assert.match(r.out, /\.env: committed environment file/);
    assert.ok(!r.out.includes(openai) && !r.out.includes(google), 'the secret itself is never printed');
  });

  it('lets an allowlisted, obviously fake example through and still catches the rest', () => {
    const dir = scratchRepo();
    const fake = `sk-proj-EXAMPLE${'0'.repeat(30)}`;
    const real = `sk-or-v1-${alnum(48)}`;
    writeFileSync(path.join(dir, 'docs.md'), `Use a key like ${fake}\n`);
    writeFileSync(path.join(dir, '.secrets-allowlist'), '# documentation placeholder\nsk-proj-EXAMPLE0+\n');
    run('git', ['add', '.'], dir);
    assert.equal(run('bash', ['scripts/scan-secrets.sh'], dir).status, 0);
    writeFileSync(path.join(dir, 'leak.ts'), `const k = "${real}";\n`);
    run('git', ['add', '.'], dir);
    const r = run('bash', ['scripts/scan-secrets.sh'], dir);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /leak\.ts:1/);
    assert.doesNotMatch(r.out, /docs\.md/);
  });

  it('as a pre-commit hook, blocks a commit that stages a key and allows a clean one', () => {
    const dir = scratchRepo();
    assert.equal(run('bash', ['scripts/install-hooks.sh'], dir).status, 0);
    writeFileSync(path.join(dir, 'ok.ts'), 'export const ok = true;\n');
    run('git', ['add', 'ok.ts'], dir);
    assert.equal(run('git', ['commit', '-qm', 'clean'], dir).status, 0);
    writeFileSync(path.join(dir, 'bad.ts'), `export const k = 'xai-${alnum(60)}';\n`);
    run('git', ['add', 'bad.ts'], dir);
    const r = run('git', ['commit', '-qm', 'leak'], dir);
    assert.notEqual(r.status, 0, 'the hook refuses the commit');
    assert.match(r.out, /bad\.ts:1: looks like a xAI key/);
    assert.equal(run('git', ['log', '--oneline'], dir).out.trim().split('\n').length, 2, 'the leaking commit was not made');
  });
});
