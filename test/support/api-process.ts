import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from './ports';

export interface ApiProcess {
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

/**
 * Runs an API entry (the production `main.js`, or a benchmark variant of it) as its own process with the run's
 * environment, the way `./deploy.sh dev` does, and resolves once `/ready` answers. Its standard output goes
 * nowhere (but is still written: benchmarks measure logging too); the tail of its standard error is in the error
 * when it exits early.
 */
export async function spawnApi(entry: string, env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  // BENCH_API_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the API processes only.
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, path.resolve(entry)], {
    env: { ...process.env, API_HOST: '127.0.0.1', API_PORT: String(port), METRICS_PORT: '0', MIGRATE_ON_BOOT: 'false', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API (${entry}) exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${url}/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the API (${entry}) did not become ready in 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill('SIGTERM');
      }),
  };
}
