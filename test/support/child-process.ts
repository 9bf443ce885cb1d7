import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';

/**
 * A stop() for a fixture server running as a child process: SIGTERM, SIGKILL after `stopTimeoutMs`, then
 * its temp dir removed. Idempotent. A crashed test run kills the child on exit, so none is left behind.
 */
export function stoppableChild(child: ChildProcess, exited: Promise<unknown>, tempDir: string, stopTimeoutMs: number): () => Promise<void> {
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopped: Promise<void> | undefined;
  return () => {
    stopped ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
        await exited;
        clearTimeout(timer);
      }
      await rm(tempDir, { recursive: true, force: true });
    })();
    return stopped;
  };
}
