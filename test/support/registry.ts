import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stoppableChild } from './child-process';
import { freePort } from './ports';

/**
 * A real image registry on loopback: Debian's `docker-registry` (the CNCF distribution registry), storing in a
 * temp dir, no auth. Docker talks plain HTTP to registries on 127.0.0.0/8 without any daemon setting.
 */
export interface TestRegistry {
  /** `127.0.0.1:<port>`, the prefix of image references pushed here. */
  host: string;
  stop(): Promise<void>;
}


export async function startRegistry(): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'pantheon-registry-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: 127.0.0.1:${port} }`,
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4096)));
  const exited = once(child, 'exit');
  const stop = stoppableChild(child, exited, dir, 5_000);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: `127.0.0.1:${port}`, stop };
}
