import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { removeToolsSecrets, writeToolsSecret } from './tools-secrets';

const P = '0b9f1c7e-4d6a-4f1e-9a51-1f2e3d4c5b6a';
const UID = process.getuid?.() ?? 0;

describe('writeToolsSecret', () => {
  let base: string;
  let root: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'tools-secrets-spec-'));
    root = join(base, 'root');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('writes a 0400 file in a 0700 folder, and reports whether it changed', async () => {
    assert.equal(await writeToolsSecret(root, P, 'project-token', 'pt_one', UID), true);
    assert.equal(await writeToolsSecret(root, P, 'project-token', 'pt_one', UID), false, 'unchanged: left alone');
    assert.equal(readFileSync(join(root, P, 'project-token'), 'utf8'), 'pt_one');
    assert.equal(statSync(join(root, P, 'project-token')).mode & 0o777, 0o400);
    assert.equal(statSync(join(root, P)).mode & 0o777, 0o700);
    assert.equal(await writeToolsSecret(root, P, 'project-token', 'pt_two', UID), true);
    assert.equal(readFileSync(join(root, P, 'project-token'), 'utf8'), 'pt_two');
  });

  it('replaces a link planted at the file instead of writing through it', async () => {
    const canary = join(base, 'canary');
    writeFileSync(canary, 'original');
    mkdirSync(join(root, P), { recursive: true, mode: 0o700 });
    symlinkSync(canary, join(root, P, 'project-token'));
    await writeToolsSecret(root, P, 'project-token', 'pt_new', UID);
    assert.equal(readFileSync(canary, 'utf8'), 'original');
    assert.equal(lstatSync(join(root, P, 'project-token')).isSymbolicLink(), false);
    assert.equal(readFileSync(join(root, P, 'project-token'), 'utf8'), 'pt_new');
  });

  it('refuses a project folder that is a link', async () => {
    const elsewhere = join(base, 'elsewhere');
    mkdirSync(elsewhere);
    mkdirSync(root, { recursive: true });
    symlinkSync(elsewhere, join(root, P));
    await assert.rejects(writeToolsSecret(root, P, 'project-token', 'pt_x', UID), /not a plain directory/);
    assert.deepEqual(readdirSync(elsewhere), []);
  });

  it('removes the folder without following links inside it', async () => {
    const keep = join(base, 'keep');
    writeFileSync(keep, 'keep');
    await writeToolsSecret(root, P, 'api-credential', 'tac_x', UID);
    symlinkSync(keep, join(root, P, 'link'));
    await removeToolsSecrets(root, P);
    assert.equal(readFileSync(keep, 'utf8'), 'keep');
    assert.throws(() => statSync(join(root, P)));
  });
});
