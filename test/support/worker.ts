import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { loadConfig } from '@pantheon/config';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { findRepoRoot } from './oidc';

export interface TestWorker {
  app: INestApplicationContext;
  logs: string[];
  close(): Promise<void>;
}

/** Boots the real worker module in this process (for suites that do not need to kill it). */
export async function startTestWorker(env: Record<string, string> = {}): Promise<TestWorker> {
  const config = loadConfig({ ...process.env, KEYCLOAK_URL: 'http://127.0.0.1:1', LOG_LEVEL: 'info', ...env });
  const logs: string[] = [];
  const app = await NestFactory.createApplicationContext(
    WorkerModule.forRoot(config, { write: (line: string) => void logs.push(line) }),
    { logger: false },
  );
  await app.init();
  return { app, logs, close: () => app.close() };
}

export interface WorkerProcess {
  proc: ChildProcess;
  /** stdout JSON lines so far. */
  lines: string[];
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `node dist/apps/worker/src/main.js` as a child process (so tests can SIGKILL it mid-job). */
export function spawnWorker(env: Record<string, string> = {}): WorkerProcess {
  const proc = spawn(process.execPath, [join(findRepoRoot(), 'dist/apps/worker/src/main.js')], {
    env: { ...process.env, KEYCLOAK_URL: 'http://127.0.0.1:1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffer = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  proc.stderr!.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    lines,
    exited,
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
