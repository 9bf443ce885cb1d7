import { spawn } from 'node:child_process';
import type { AgentCommands, ShellKind } from '@pantheon/guest-agent';
import { AgentError } from '../agent-error';
import type { OsAdapter } from '../os/os-adapter';

type ExecResult = AgentCommands['exec']['result'];

export interface ExecRequest {
  shell: ShellKind;
  command: string;
  cwd?: string;
  timeoutMs: number;
  outputCapBytes: number;
}

/** Keeps the first `cap` bytes of a stream and remembers whether more came. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Runs a command in the OS's shell: stdout/stderr kept up to the cap each (`truncated` beyond), the whole process
 * tree killed at the deadline (`timed_out`, exit code null). Resolves once the shell has exited and its pipes are
 * drained, or right after the kill (a grandchild holding the pipes must not keep the request open).
 */
export function runExec(adapter: OsAdapter, request: ExecRequest): Promise<ExecResult> {
  const invocation = adapter.shellInvocation(request.shell, request.command);
  return new Promise((resolve, reject) => {
    const child = spawn(invocation.file, invocation.args, {
      cwd: request.cwd,
      detached: adapter.detachShell,
      windowsHide: true,
      windowsVerbatimArguments: invocation.verbatim ?? false,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = new CappedBuffer(request.outputCapBytes);
    const stderr = new CappedBuffer(request.outputCapBytes);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    let settled = false;
    const finish = (exitCode: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        exit_code: timedOut ? null : exitCode,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timed_out: timedOut,
        truncated: stdout.truncated || stderr.truncated,
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) void adapter.killTree(child.pid);
      // If something escaped the tree and holds the pipes, answer anyway shortly after.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(null);
      }, 2000).unref();
    }, request.timeoutMs);
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT' && request.cwd !== undefined
          ? new AgentError('not_found', `cwd ${request.cwd} does not exist or the shell is missing`)
          : new AgentError('failed', `the shell could not start: ${error.code ?? 'error'}`),
      );
    });
    child.once('close', (code) => finish(code));
  });
}
