import { spawn } from 'node:child_process';
import { AgentError } from '../agent-error';

export interface RunOptions {
  /** Written to stdin, then stdin is closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a helper program (xdotool, xclip, powershell) to completion; the seam the adapters' specs replace. */
export interface ProcessRunner {
  run(file: string, args: string[], options?: RunOptions): Promise<RunResult>;
}

const HELPER_OUTPUT_CAP = 4 * 1024 * 1024;

/** The real runner: no shell, argv passed as is, killed on timeout (helpers are short-lived). */
export class ChildProcessRunner implements ProcessRunner {
  run(file: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        size += chunk.length;
        if (size <= HELPER_OUTPUT_CAP) into.push(chunk);
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new AgentError('timeout', `${file} did not finish within ${options.timeoutMs} ms`));
      }, options.timeoutMs ?? 15_000);
      child.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new AgentError('unsupported', error.code === 'ENOENT' ? `${file} is not installed` : `${file} could not start`));
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
  }
}
