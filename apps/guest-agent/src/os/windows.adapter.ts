import type { ShellKind } from '@pantheon/guest-agent';
import { AgentError } from '../agent-error';
import type { OsAdapter, ShellInvocation, WindowEntry } from './os-adapter';
import type { ProcessRunner } from './process-runner';

const HELPER_TIMEOUT_MS = 30_000;

/**
 * user32 calls PowerShell has no cmdlet for. INPUT is declared with both MOUSEINPUT and KEYBDINPUT so its size is
 * the real one (40 bytes on x64): SendInput rejects any other cbSize.
 */
export const USER32_SNIPPET = `
using System;
using System.Runtime.InteropServices;
public static class PantheonUser32 {
  [DllImport("user32.dll")] public static extern IntPtr GetForegroundWindow();
  [DllImport("user32.dll")] public static extern bool SetForegroundWindow(IntPtr hWnd);
  [DllImport("user32.dll")] public static extern bool ShowWindow(IntPtr hWnd, int nCmdShow);
  [DllImport("user32.dll")] public static extern bool IsIconic(IntPtr hWnd);
  [DllImport("user32.dll")] public static extern bool IsWindow(IntPtr hWnd);
  [DllImport("user32.dll")] public static extern void keybd_event(byte bVk, byte bScan, uint dwFlags, UIntPtr dwExtraInfo);
  [StructLayout(LayoutKind.Sequential)] public struct MOUSEINPUT { public int dx; public int dy; public uint mouseData; public uint dwFlags; public uint time; public IntPtr dwExtraInfo; }
  [StructLayout(LayoutKind.Sequential)] public struct KEYBDINPUT { public ushort wVk; public ushort wScan; public uint dwFlags; public uint time; public IntPtr dwExtraInfo; }
  [StructLayout(LayoutKind.Explicit)] public struct INPUT { [FieldOffset(0)] public uint type; [FieldOffset(8)] public MOUSEINPUT mi; [FieldOffset(8)] public KEYBDINPUT ki; }
  [DllImport("user32.dll", SetLastError = true)] public static extern uint SendInput(uint n, INPUT[] inputs, int size);
  public static bool Focus(IntPtr h) {
    if (!IsWindow(h)) return false;
    if (IsIconic(h)) ShowWindow(h, 9);
    // A tapped ALT lets a background process take the foreground (SetForegroundWindow's lock rules).
    keybd_event(0x12, 0, 0, UIntPtr.Zero);
    keybd_event(0x12, 0, 2, UIntPtr.Zero);
    return SetForegroundWindow(h);
  }
  static void Key(System.Collections.Generic.List<INPUT> list, ushort vk, ushort scan, uint flags) {
    INPUT i = new INPUT(); i.type = 1; i.ki.wVk = vk; i.ki.wScan = scan; i.ki.dwFlags = flags; list.Add(i);
  }
  public static uint Type(string text) {
    var list = new System.Collections.Generic.List<INPUT>();
    foreach (char c in text.Replace("\\r\\n", "\\n")) {
      if (c == '\\n' || c == '\\r') { Key(list, 0x0D, 0, 0); Key(list, 0x0D, 0, 2); }
      else if (c == '\\t') { Key(list, 0x09, 0, 0); Key(list, 0x09, 0, 2); }
      else { Key(list, 0, c, 4); Key(list, 0, c, 4 | 2); }
    }
    var all = list.ToArray();
    return SendInput((uint)all.Length, all, Marshal.SizeOf(typeof(INPUT)));
  }
}
`;

/**
 * The prologue of every helper script: arguments arrive on stdin as base64 of UTF-8 JSON and the result leaves on
 * stdout the same way, so no console code page (OEM by default) ever touches non-ASCII text.
 */
const PROLOGUE = `
$ErrorActionPreference = 'Stop'
$raw = [Console]::In.ReadToEnd()
$a = if ($raw.Trim()) { [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($raw.Trim())) | ConvertFrom-Json } else { $null }
function Out-Result($value) { [Console]::Out.Write([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes((ConvertTo-Json -InputObject $value -Depth 6 -Compress)))) }
`;

const ADD_USER32 = `if (-not ('PantheonUser32' -as [type])) { Add-Type -TypeDefinition @'\n${USER32_SNIPPET}\n'@ }\n`;

/** Tells running programs (Explorer, so whatever it starts next) that HKCU\Environment changed. */
export const SETTING_CHANGE_SNIPPET = `
using System;
using System.Runtime.InteropServices;
public static class PantheonEnvBroadcast {
  [DllImport("user32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
  public static extern IntPtr SendMessageTimeout(IntPtr hWnd, uint msg, UIntPtr wParam, string lParam, uint flags, uint timeout, out UIntPtr result);
  public static bool Send() {
    UIntPtr r;
    // HWND_BROADCAST, WM_SETTINGCHANGE, lParam "Environment", SMTO_ABORTIFHUNG, 5 s per window.
    return SendMessageTimeout((IntPtr)0xffff, 0x001A, UIntPtr.Zero, "Environment", 0x0002, 5000, out r) != IntPtr.Zero;
  }
}
`;

export const WINDOWS_SCRIPTS = {
  clipboardGet: `${PROLOGUE}$t = Get-Clipboard -Raw -Format Text\nif ($null -eq $t) { $t = '' }\nOut-Result @{ text = [string]$t }\n`,
  clipboardSet: `${PROLOGUE}if ($a.text -eq '') { Add-Type -AssemblyName System.Windows.Forms; [System.Windows.Forms.Clipboard]::Clear() } else { Set-Clipboard -Value $a.text }\nOut-Result @{}\n`,
  windowsList:
    `${PROLOGUE}${ADD_USER32}$fg = [PantheonUser32]::GetForegroundWindow().ToInt64()\n` +
    `$w = @(Get-Process | Where-Object { $_.MainWindowHandle -ne [IntPtr]::Zero -and $_.MainWindowTitle } | ForEach-Object { $h = $_.MainWindowHandle.ToInt64(); @{ id = [string]$h; title = $_.MainWindowTitle; focused = ($h -eq $fg) } })\n` +
    `Out-Result @{ windows = $w }\n`,
  windowFocus: `${PROLOGUE}${ADD_USER32}$ok = [PantheonUser32]::Focus([IntPtr][Int64]$a.id)\nOut-Result @{ found = $ok }\n`,
  typeText: `${PROLOGUE}${ADD_USER32}$n = [PantheonUser32]::Type([string]$a.text)\nOut-Result @{ sent = $n }\n`,
  appLaunch:
    `${PROLOGUE}$p = if ($a.args) { Start-Process -FilePath $a.command -ArgumentList $a.args -PassThru } else { Start-Process -FilePath $a.command -PassThru }\n` +
    `Out-Result @{ pid = $(if ($p) { $p.Id } else { $null }) }\n`,
  // Values arrive on stdin, never on a command line (setx would show the token to anyone listing processes).
  setUserEnv:
    `${PROLOGUE}$k = [Microsoft.Win32.Registry]::CurrentUser.CreateSubKey('Environment')\n` +
    `try { foreach ($p in $a.vars.PSObject.Properties) { if ($null -eq $p.Value) { $k.DeleteValue($p.Name, $false) } else { $k.SetValue($p.Name, [string]$p.Value, [Microsoft.Win32.RegistryValueKind]::String) } } } finally { $k.Close() }\n` +
    `if (-not ('PantheonEnvBroadcast' -as [type])) { Add-Type -TypeDefinition @'\n${SETTING_CHANGE_SNIPPET}\n'@ }\n` +
    `Out-Result @{ broadcast = [PantheonEnvBroadcast]::Send() }\n`,
} as const;

/** `-EncodedCommand` takes base64 of UTF-16LE: no quoting of the script at all. */
export function encodePowerShell(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

/** Quotes one argument the way CommandLineToArgvW (and so most Windows programs) splits it back. */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

/**
 * Windows 11 inside dockurr/windows, run by the logon task in the interactive user's session (so the clipboard,
 * SendInput and SetForegroundWindow act on the visible desktop). Everything goes through powershell.exe 5.1.
 */
export class WindowsAdapter implements OsAdapter {
  readonly platform = 'win32' as const;
  readonly defaultShell: ShellKind = 'powershell';
  readonly detachShell = false;
  private readonly systemRoot: string;

  constructor(
    private readonly runner: ProcessRunner,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.systemRoot = env.SystemRoot ?? env.SYSTEMROOT ?? 'C:\\Windows';
  }

  get powershellPath(): string {
    return `${this.systemRoot}\\System32\\WindowsPowerShell\\v1.0\\powershell.exe`;
  }

  shellInvocation(shell: ShellKind, command: string): ShellInvocation {
    switch (shell) {
      case 'powershell':
        // UTF-8 out, so non-ASCII output survives the pipe.
        return {
          file: this.powershellPath,
          args: ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand',
            encodePowerShell(`[Console]::OutputEncoding = [Text.Encoding]::UTF8; $OutputEncoding = [Text.Encoding]::UTF8\n${command}`)],
        };
      case 'cmd':
        return { file: `${this.systemRoot}\\System32\\cmd.exe`, args: ['/d', '/s', '/c', `"chcp 65001 >nul & ${command}"`], verbatim: true };
      case 'sh':
        throw new AgentError('unsupported', 'shell sh is not available on windows (use powershell or cmd)');
    }
  }

  async killTree(pid: number): Promise<void> {
    await this.runner.run(`${this.systemRoot}\\System32\\taskkill.exe`, ['/PID', String(pid), '/T', '/F'], { timeoutMs: HELPER_TIMEOUT_MS }).catch(() => undefined);
  }

  async clipboardGet(): Promise<string> {
    const out = await this.script<{ text?: string }>(WINDOWS_SCRIPTS.clipboardGet, {});
    return typeof out.text === 'string' ? out.text : '';
  }

  async clipboardSet(text: string): Promise<void> {
    await this.script(WINDOWS_SCRIPTS.clipboardSet, { text });
  }

  async windowsList(): Promise<WindowEntry[]> {
    const out = await this.script<{ windows?: unknown }>(WINDOWS_SCRIPTS.windowsList, {});
    // ConvertTo-Json may collapse a one-element array; accept both.
    const list = Array.isArray(out.windows) ? out.windows : out.windows ? [out.windows] : [];
    return list
      .filter((w): w is { id: unknown; title: unknown; focused: unknown } => typeof w === 'object' && w !== null)
      .map((w) => ({ id: String(w.id), title: String(w.title), focused: w.focused === true }));
  }

  async windowFocus(id: string): Promise<void> {
    if (!/^\d+$/.test(id)) throw new AgentError('bad_request', 'window id must be a number from windows_list');
    const out = await this.script<{ found?: boolean }>(WINDOWS_SCRIPTS.windowFocus, { id });
    if (out.found !== true) throw new AgentError('not_found', `no window ${id} (or Windows refused the focus change)`);
  }

  async appLaunch(command: string, args: string[]): Promise<number | null> {
    const payload = args.length > 0 ? { command, args: args.map(quoteWindowsArg).join(' ') } : { command };
    const out = await this.script<{ pid?: number | null }>(WINDOWS_SCRIPTS.appLaunch, payload);
    return typeof out.pid === 'number' ? out.pid : null;
  }

  async typeText(text: string): Promise<void> {
    await this.script(WINDOWS_SCRIPTS.typeText, { text });
  }

  /**
   * HKCU\Environment (REG_SZ values; null deletes), then a WM_SETTINGCHANGE "Environment" broadcast so Explorer
   * reloads it and programs started from now on see it. The agent runs in the user's session, so HKCU is theirs.
   */
  async setUserEnv(vars: Record<string, string | null>): Promise<void> {
    await this.script(WINDOWS_SCRIPTS.setUserEnv, { vars });
  }

  /** Runs one helper script with `args`, returns its decoded JSON result. */
  private async script<T>(script: string, args: Record<string, unknown>): Promise<T> {
    const res = await this.runner.run(
      this.powershellPath,
      ['-NoLogo', '-NoProfile', '-NonInteractive', '-Sta', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encodePowerShell(script)],
      { input: Buffer.from(JSON.stringify(args), 'utf8').toString('base64'), timeoutMs: HELPER_TIMEOUT_MS },
    );
    if (res.code !== 0) {
      const detail = res.stderr.trim().split(/\r?\n/)[0]?.slice(0, 200) ?? '';
      throw new AgentError('failed', `powershell exited with ${res.code}${detail ? `: ${detail}` : ''}`);
    }
    try {
      return JSON.parse(Buffer.from(res.stdout.trim(), 'base64').toString('utf8')) as T;
    } catch {
      throw new AgentError('failed', 'powershell returned no readable result');
    }
  }
}
