import type { AgentCommands, ShellKind } from '@pantheon/guest-agent';

export type WindowEntry = AgentCommands['windows_list']['result']['windows'][number];

/** How exec starts a shell: the program and its argv (no further shell in between). */
export interface ShellInvocation {
  file: string;
  args: string[];
  /** Windows: pass args unquoted (cmd.exe /s /c parses its own command line). */
  verbatim?: boolean;
}

/**
 * What differs between Windows (the product) and Linux (the stand-in): shells, killing a process tree, and the
 * desktop (clipboard, windows, typing, launching apps). File commands are plain node:fs and shared.
 */
export interface OsAdapter {
  readonly platform: 'win32' | 'linux';
  readonly defaultShell: ShellKind;
  /** @throws AgentError('unsupported') for a shell this OS lacks. */
  shellInvocation(shell: ShellKind, command: string): ShellInvocation;
  /** Whether exec starts the shell in its own process group (POSIX), so the whole tree can be signalled. */
  readonly detachShell: boolean;
  /** Kills `pid` and all its descendants (best effort: it may be gone already). */
  killTree(pid: number): Promise<void>;
  clipboardGet(): Promise<string>;
  clipboardSet(text: string): Promise<void>;
  windowsList(): Promise<WindowEntry[]>;
  /** Focuses the window with this id. @throws AgentError('not_found') */
  windowFocus(id: string): Promise<void>;
  /** Starts a program detached from the agent, on the desktop. */
  appLaunch(command: string, args: string[]): Promise<number | null>;
  /** Types Unicode text into the focused window. */
  typeText(text: string): Promise<void>;
  /**
   * Sets (string) or removes (null) variables of the user's persistent environment, seen by programs started
   * afterwards. Names and values are validated by the caller.
   */
  setUserEnv(vars: Record<string, string | null>): Promise<void>;
}
