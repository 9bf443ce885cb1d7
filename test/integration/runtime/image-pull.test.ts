/**
 * DockerRuntime.ensureImage against the real engine and a real registry on loopback (Debian's docker-registry):
 * an absent image is pulled with progress, a present one is not, and impossible pulls fail with
 * IMAGE_PULL_FAILED and the registry's reason. Every image this file makes is tagged `:pull-<run>` and removed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DockerRuntime, RuntimeError, RuntimeErrorCode } from '@pantheon/runtime';
import { startRegistry, TestRegistry } from '../../support/registry';

const RUN = randomUUID().slice(0, 8);
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();

describe('DockerRuntime.ensureImage (real engine, real registry on loopback)', () => {
  const runtime = new DockerRuntime();
  let registry: TestRegistry;
  let image: string;
  const made: string[] = [];

  before(async () => {
    registry = await startRegistry();
    image = `${registry.host}/pantheon-test/pull:${RUN}`;
    // A few MB, so the pull has something to report on.
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-pull-'));
    writeFileSync(join(dir, 'payload.bin'), Buffer.alloc(4 * 1024 * 1024, 7));
    const tar = execFileSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    execFileSync('docker', ['import', '--change', 'LABEL pantheon.managed=true', '-', image], { input: tar, stdio: ['pipe', 'ignore', 'pipe'] });
    rmSync(dir, { recursive: true, force: true });
  });

  after(async () => {
    for (const ref of [image, ...made]) {
      try {
        docker('image', 'rm', '-f', ref);
      } catch {
        // already gone
      }
    }
    await registry?.stop();
  });

  it('pulls an absent image, reporting progress from 0, and finds it present the second time', async () => {
    docker('push', image);
    docker('image', 'rm', image);
    const seen: number[] = [];
    const result = await runtime.ensureImage(image, { onProgress: (p) => seen.push(p) });
    assert.deepEqual(result, { pulled: true });
    assert.equal(seen[0], 0, 'announced when the pull starts');
    assert.ok(seen.every((p, i) => p >= 0 && p <= 99 && (i === 0 || p > seen[i - 1]!)), `increasing percentages: ${seen}`);
    assert.match(docker('image', 'inspect', '--format', '{{.Id}}', image), /^sha256:/);

    const again: number[] = [];
    assert.deepEqual(await runtime.ensureImage(image, { onProgress: (p) => again.push(p) }), { pulled: false });
    assert.deepEqual(again, [], 'no progress for a present image');
  });

  it('fails with IMAGE_PULL_FAILED naming the reason for an image the registry does not have', async () => {
    const missing = `${registry.host}/pantheon-test/missing:${RUN}`;
    await assert.rejects(runtime.ensureImage(missing), (err: unknown) => {
      assert.ok(err instanceof RuntimeError && err.code === RuntimeErrorCode.IMAGE_PULL_FAILED, String(err));
      assert.match(err.message, /manifest unknown|not found/i);
      return true;
    });
  });

  it('fails with IMAGE_PULL_FAILED when the registry cannot be reached', async () => {
    // Port 1 on loopback: nothing listens, the engine's connection is refused at once.
    await assert.rejects(runtime.ensureImage(`127.0.0.1:1/pantheon-test/unreachable:${RUN}`), (err: unknown) => {
      assert.ok(err instanceof RuntimeError && err.code === RuntimeErrorCode.IMAGE_PULL_FAILED, String(err));
      assert.match(err.message, /connection refused|dial tcp/i);
      return true;
    });
  });
});
