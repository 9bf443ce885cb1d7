import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { userFacingReason } from './failure-reason';
import { prepareShareFolder, removeShareFolder, SHARE_CONFIG_NAME, ShareFolderError, shareDirFor, writeShareConfig } from './share-folder';

const CANARY = 'canary: the worker must never write here\n';

describe('shared folder (written by the VM, so never followed through links)', () => {
  let base: string;
  let outside: string;
  let canary: string;
  let dir: string;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'pantheon-share-spec-'));
    outside = join(base, 'host');
    mkdirSync(outside);
    canary = join(outside, 'canary.txt');
    writeFileSync(canary, CANARY);
    dir = shareDirFor(join(base, 'shares'), 'project-1');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('creates the folder and a README once, and keeps a README the user edited', async () => {
    assert.equal(await prepareShareFolder(dir), 'created');
    assert.equal(statSync(dir).mode & 0o777, 0o777, "writable by the VM's root, which has no DAC_OVERRIDE");
    assert.equal(statSync(join(base, 'shares')).mode & 0o777, 0o700, 'the share root it created is private to the worker');
    assert.match(readFileSync(join(dir, 'README.txt'), 'utf8'), /No credentials are ever stored here/);
    writeFileSync(join(dir, 'README.txt'), 'my notes');
    assert.equal(await prepareShareFolder(dir), 'kept');
    assert.equal(readFileSync(join(dir, 'README.txt'), 'utf8'), 'my notes');
  });

  const clientConfig = {
    projectId: 'project-1',
    openaiBaseUrl: 'http://172.30.7.3:3000/v1',
    anthropicBaseUrl: 'http://172.30.7.3:3000',
    mcpUrl: 'http://172.30.7.3:3000/api/projects/project-1/mcp',
  };

  it('writes pantheon.json with the gateway URLs and the MCP endpoint, and rewrites it on the next build', async () => {
    assert.equal(await writeShareConfig(dir, clientConfig), 'created');
    const doc = JSON.parse(readFileSync(join(dir, SHARE_CONFIG_NAME), 'utf8'));
    assert.deepEqual(doc.gateway, { openai_base_url: clientConfig.openaiBaseUrl, anthropic_base_url: clientConfig.anthropicBaseUrl });
    assert.deepEqual(doc.mcp, { url: clientConfig.mcpUrl, transport: 'streamable-http' });
    assert.doesNotMatch(JSON.stringify(doc), /fk-|sk-|"token"\s*:/, 'no credential in it');
    writeFileSync(join(dir, SHARE_CONFIG_NAME), '{"tampered":true}');
    await writeShareConfig(dir, { ...clientConfig, mcpUrl: 'http://172.30.7.3:3000/api/projects/project-1/mcp?v=2' });
    assert.match(readFileSync(join(dir, SHARE_CONFIG_NAME), 'utf8'), /v=2/);
  });

  it('replaces a pantheon.json symlink planted by the guest without writing through it', async () => {
    await prepareShareFolder(dir);
    symlinkSync(canary, join(dir, SHARE_CONFIG_NAME));
    assert.equal(await writeShareConfig(dir, clientConfig), 'replaced-link');
    assert.equal(readFileSync(canary, 'utf8'), CANARY);
    assert.equal(lstatSync(join(dir, SHARE_CONFIG_NAME)).isFile(), true);
  });

  it('replaces a README.txt symlink planted by the guest without writing through it', async () => {
    await prepareShareFolder(dir);
    rmSync(join(dir, 'README.txt'));
    symlinkSync(canary, join(dir, 'README.txt'));
    assert.equal(await prepareShareFolder(dir), 'replaced-link');
    assert.equal(readFileSync(canary, 'utf8'), CANARY, 'the link target is untouched');
    assert.equal(lstatSync(join(dir, 'README.txt')).isFile(), true, 'the link itself was replaced by our README');
    assert.match(readFileSync(join(dir, 'README.txt'), 'utf8'), /shared between your Pantheon project/);
  });

  it('also refuses a dangling link (which O_CREAT alone would follow to create the target)', async () => {
    mkdirSync(dir, { recursive: true });
    const target = join(outside, 'created-by-worker.txt');
    symlinkSync(target, join(dir, 'README.txt'));
    assert.equal(await prepareShareFolder(dir), 'replaced-link');
    assert.equal(existsSync(target), false);
  });

  it('replaces a FIFO without blocking on it, and leaves a directory named README.txt alone', async () => {
    mkdirSync(dir, { recursive: true });
    execFileSync('mkfifo', [join(dir, 'README.txt')]);
    assert.equal(await prepareShareFolder(dir), 'replaced-special');
    rmSync(join(dir, 'README.txt'));
    mkdirSync(join(dir, 'README.txt'));
    assert.equal(await prepareShareFolder(dir), 'left-directory');
  });

  it('refuses a shared folder that is itself a link, with a reason that names no host path', async () => {
    mkdirSync(join(base, 'shares'), { recursive: true });
    symlinkSync(outside, dir);
    const err = await prepareShareFolder(dir).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ShareFolderError, String(err));
    assert.equal(existsSync(join(outside, 'README.txt')), false, 'nothing was written through the link');
    assert.ok(!userFacingReason(err).includes(base), userFacingReason(err));
  });

  it('removes the folder without following links out of it', async () => {
    await prepareShareFolder(dir);
    mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'deeper', 'file.txt'), 'x');
    symlinkSync(outside, join(dir, 'sub', 'to-host-dir'));
    symlinkSync(canary, join(dir, 'to-host-file'));
    await removeShareFolder(dir);
    assert.equal(existsSync(dir), false);
    assert.equal(readFileSync(canary, 'utf8'), CANARY);
    assert.equal(existsSync(outside), true, 'the linked host directory and its contents survive');
    await removeShareFolder(dir); // absent: a no-op
  });

  it('removes only the link when the folder itself is a link', async () => {
    mkdirSync(join(base, 'shares'), { recursive: true });
    symlinkSync(outside, dir);
    await removeShareFolder(dir);
    assert.equal(existsSync(dir), false);
    assert.equal(readFileSync(canary, 'utf8'), CANARY);
  });
});
