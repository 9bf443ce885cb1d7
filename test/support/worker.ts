import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { loadConfig } from '@pantheon/config';
import { WorkerModule } from '@pantheon/worker/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './eventually';
import { findRepoRoot } from './oidc';

/** The line a worker logs once its queue workers take jobs. */
const READY_MSG = 'queue workers started';

export type WorkerLogEntry = { msg?: string; projectId?: string } & Record<string, unknown>;

/** What a worker wrote, in order: raw lines, and the JSON log entries among them. */
export class WorkerLogs {
  readonly lines: string[] = [];

  /** The JSON log entries (stderr chunks and partial lines are skipped). */
  entries(): WorkerLogEntry[] {
    return this.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as WorkerLogEntry];
      } catch {
        return [];
      }
    });
  }

  has(msg: string): boolean {
    return this.entries().some((e) => e.msg === msg);
  }

  /** The last lines that mention `text` (a project id, say): the worker's own account of a failed wait. */
  about(text: string, count = 15): string {
    return this.lines.filter((l) => l.includes(text)).slice(-count).join('\n');
  }
}

/** The worker's environment in tests: no OIDC issuer is needed, info lines carry the readiness signal. */
function workerEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  // WORKER_METRICS_PORT 0: several workers run at once in some suites, each with its own /metrics port.
  return { ...process.env, KEYCLOAK_URL: 'http://127.0.0.1:1', LOG_LEVEL: 'info', WORKER_METRICS_PORT: '0', ...env };
}

export interface TestWorker {
  app: INestApplicationContext;
  logs: WorkerLogs;
  close(): Promise<void>;
}

/** Boots the real worker module in this process (for suites that do not need to kill it). */
export async function startTestWorker(env: Record<string, string> = {}): Promise<TestWorker> {
  const config = loadConfig(workerEnv(env));
  const logs = new WorkerLogs();
  const app = await NestFactory.createApplicationContext(
    WorkerModule.forRoot(config, { write: (line: string) => void logs.lines.push(line) }),
    { logger: false },
  );
  await app.init();
  return { app, logs, close: () => app.close() };
}

export interface WorkerProcess {
  proc: ChildProcess;
  /** stdout JSON lines and stderr chunks so far. */
  logs: WorkerLogs;
  exited: Promise<number | null>;
  /** Whether it has said it takes jobs. */
  isReady(): boolean;
  /** Resolves once the worker takes jobs, or fails after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`: the exit code, or 'killed' when it did not stop in time. */
  stop(graceMs: number): Promise<number | null | 'killed'>;
}

/** Runs `node dist/apps/worker/src/main.js` as a child process (so tests can SIGKILL it mid-job). */
export function spawnWorker(env: Record<string, string> = {}): WorkerProcess {
  const proc = spawn(process.execPath, [join(findRepoRoot(), 'dist/apps/worker/src/main.js')], {
    env: workerEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = new WorkerLogs();
  let buffer = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    logs.lines.push(...parts.filter(Boolean));
  });
  proc.stderr!.on('data', (chunk: Buffer) => logs.lines.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  const isReady = () => logs.has(READY_MSG);
  return {
    proc,
    logs,
    exited,
    isReady,
    ready: async (timeoutMs) => {
      await eventually(async () => (isReady() ? true : undefined), timeoutMs, `worker ${proc.pid} ready`, 25);
    },
    kill,
    stop: async (graceMs) => {
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        proc.kill('SIGKILL');
      }, graceMs);
      await kill('SIGTERM');
      clearTimeout(timer);
      return killed ? 'killed' : proc.exitCode;
    },
  };
}
