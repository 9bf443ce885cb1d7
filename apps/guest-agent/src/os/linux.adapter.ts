import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import type { ShellKind } from '@pantheon/guest-agent';
import { AgentError } from '../agent-error';
import type { OsAdapter, ShellInvocation, WindowEntry } from './os-adapter';
import { updatePosixEnv } from './posix-env-file';
import type { ProcessRunner, RunResult } from './process-runner';

const HELPER_TIMEOUT_MS = 15_000;
/** xdotool's per-character delay for text on the keymap: fast, and enough for xterm to keep up. */
const TYPE_DELAY_MS = 12;
/**
 * For other characters xdotool remaps a spare keycode, types it and maps it back; a client that reads the new
 * mapping late sees the old one and drops the character (about one line in three at 12 ms here; 80 ms left none in our runs, a freshly started xterm included).
 */
const REMAP_TYPE_DELAY_MS = 80;

/**
 * The stand-in VM's desktop: an X display (DISPLAY from env) driven with xdotool (windows, focus, Unicode typing
 * through a remapped spare keycode) and xclip (the CLIPBOARD selection).
 */
export class LinuxAdapter implements OsAdapter {
  readonly platform = 'linux' as const;
  readonly defaultShell: ShellKind = 'sh';
  readonly detachShell = true;

  constructor(
    private readonly runner: ProcessRunner,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  shellInvocation(shell: ShellKind, command: string): ShellInvocation {
    if (shell !== 'sh') throw new AgentError('unsupported', `shell ${shell} is not available on linux (use sh)`);
    return { file: '/bin/sh', args: ['-c', command] };
  }

  async killTree(pid: number): Promise<void> {
    // The shell leads its own process group (spawned detached): signal the group, i.e. every descendant.
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  async clipboardGet(): Promise<string> {
    const res = await this.helper('xclip', ['-selection', 'clipboard', '-o']);
    // An empty clipboard is "target STRING not available", not an error for the caller.
    if (res.code !== 0) {
      if (/not available|no owner/i.test(res.stderr) || res.stderr === '') return '';
      throw this.failed('xclip', res);
    }
    return res.stdout;
  }

  clipboardSet(text: string): Promise<void> {
    // xclip forks a child that owns the selection until another client takes it; wait only for the parent
    // (stdout/stderr are not inherited, or the runner would wait for the daemon to close them).
    return new Promise((resolve, reject) => {
      const child = spawn('xclip', ['-selection', 'clipboard', '-i'], { env: this.env, stdio: ['pipe', 'ignore', 'ignore'] });
      child.once('error', () => reject(new AgentError('unsupported', 'xclip is not installed')));
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new AgentError('failed', `xclip exited with ${code}`))));
      child.stdin.on('error', () => undefined);
      child.stdin.end(text, 'utf8');
    });
  }

  async windowsList(): Promise<WindowEntry[]> {
    const search = await this.helper('xdotool', ['search', '--onlyvisible', '--name', '.+']);
    // xdotool exits 1 when nothing matches.
    const ids = search.code === 0 ? search.stdout.split('\n').filter((line) => /^\d+$/.test(line)) : [];
    const focused = await this.focusedWindow();
    const windows: WindowEntry[] = [];
    for (const id of ids) {
      const name = await this.helper('xdotool', ['getwindowname', id]);
      if (name.code !== 0) continue; // closed meanwhile
      windows.push({ id, title: name.stdout.replace(/\n$/, ''), focused: id === focused });
    }
    return windows;
  }

  async windowFocus(id: string): Promise<void> {
    if (!/^\d+$/.test(id)) throw new AgentError('bad_request', 'window id must be a number from windows_list');
    // twm has no _NET_ACTIVE_WINDOW, so no `windowactivate`: raise, then give it the input focus.
    const res = await this.helper('xdotool', ['windowraise', id, 'windowfocus', id]);
    if (res.code !== 0) {
      if (/BadWindow|invalid window/i.test(res.stderr)) throw new AgentError('not_found', `no window ${id}`);
      throw this.failed('xdotool', res);
    }
  }

  async appLaunch(command: string, args: string[]): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { env: this.env, detached: true, stdio: 'ignore' });
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(new AgentError(error.code === 'ENOENT' ? 'not_found' : 'failed', `${command} could not start: ${error.code ?? 'error'}`)),
      );
      child.once('spawn', () => {
        child.unref();
        resolve(child.pid ?? null);
      });
    });
  }

  async typeText(text: string): Promise<void> {
    const delay = /^[\x20-\x7e\n\t]*$/.test(text) ? TYPE_DELAY_MS : REMAP_TYPE_DELAY_MS;
    const res = await this.helper('xdotool', ['type', '--clearmodifiers', '--delay', String(delay), '--', text], {
      timeoutMs: HELPER_TIMEOUT_MS + text.length * delay * 4,
    });
    if (res.code !== 0) throw this.failed('xdotool', res);
  }

  /** `~/.pantheon-env` (0600), sourced from ~/.profile and ~/.bashrc: new login and bash shells see it. */
  async setUserEnv(vars: Record<string, string | null>): Promise<void> {
    await updatePosixEnv(this.env.HOME || homedir(), vars).catch((error: NodeJS.ErrnoException) => {
      throw new AgentError('failed', `could not write the user environment: ${error.code ?? error.message}`);
    });
  }

  private async focusedWindow(): Promise<string | null> {
    // PointerRoot focus (nothing clicked yet) makes xdotool print an X error and fail: no window is focused.
    const res = await this.helper('xdotool', ['getwindowfocus']);
    const id = res.stdout.trim();
    return res.code === 0 && /^\d+$/.test(id) ? id : null;
  }

  private helper(file: string, args: string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
    // xdotool decodes its text argument with the locale's charset: our text is UTF-8 whatever the agent's env says.
    const env = { ...this.env, LC_ALL: 'C.UTF-8' };
    return this.runner.run(file, args, { env, timeoutMs: options.timeoutMs ?? HELPER_TIMEOUT_MS });
  }

  private failed(tool: string, res: RunResult): AgentError {
    const detail = res.stderr.trim().split('\n')[0]?.slice(0, 200) ?? '';
    return new AgentError('failed', `${tool} exited with ${res.code}${detail ? `: ${detail}` : ''}`);
  }
}
