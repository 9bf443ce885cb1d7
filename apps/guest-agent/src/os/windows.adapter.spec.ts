import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessRunner, RunOptions, RunResult } from './process-runner';
import { encodePowerShell, quoteWindowsArg, SETTING_CHANGE_SNIPPET, USER32_SNIPPET, WINDOWS_SCRIPTS, WindowsAdapter } from './windows.adapter';

interface Call {
  file: string;
  args: string[];
  options?: RunOptions;
}

/** Records what the adapter would run and answers like powershell: base64 of UTF-8 JSON on stdout. */
function fakeRunner(answer: unknown = {}, code = 0): { runner: ProcessRunner; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    runner: {
      async run(file: string, args: string[], options?: RunOptions): Promise<RunResult> {
        calls.push({ file, args, options });
        return { code, stdout: Buffer.from(JSON.stringify(answer), 'utf8').toString('base64') + '\r\n', stderr: code ? 'Boom\r\nat line 1' : '' };
      },
    },
  };
}

const ENV = { SystemRoot: 'C:\\Windows' };
const PS = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';

function decodeScript(call: Call): string {
  const i = call.args.indexOf('-EncodedCommand');
  assert.ok(i >= 0, 'uses -EncodedCommand');
  return Buffer.from(call.args[i + 1]!, 'base64').toString('utf16le');
}

function decodeInput(call: Call): unknown {
  return JSON.parse(Buffer.from(call.options?.input ?? '', 'base64').toString('utf8'));
}

describe('WindowsAdapter', () => {
  it('runs exec shells without a shell in between: powershell encoded with UTF-8 output, cmd verbatim with chcp 65001', () => {
    const adapter = new WindowsAdapter(fakeRunner().runner, ENV);
    const ps = adapter.shellInvocation('powershell', 'Get-ChildItem "C:\\Users" | % Name');
    assert.equal(ps.file, PS);
    assert.deepEqual(ps.args.slice(0, 5), ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass']);
    const script = decodeScript({ file: ps.file, args: ps.args });
    assert.match(script, /^\[Console\]::OutputEncoding = \[Text\.Encoding\]::UTF8/);
    assert.ok(script.endsWith('\nGet-ChildItem "C:\\Users" | % Name'));
    const cmd = adapter.shellInvocation('cmd', 'dir C:\\ & echo ok');
    assert.deepEqual(cmd, { file: 'C:\\Windows\\System32\\cmd.exe', args: ['/d', '/s', '/c', '"chcp 65001 >nul & dir C:\\ & echo ok"'], verbatim: true });
    assert.throws(() => adapter.shellInvocation('sh', 'ls'), /not available on windows/);
  });

  it('kills a process tree with taskkill /T /F', async () => {
    const { runner, calls } = fakeRunner();
    await new WindowsAdapter(runner, ENV).killTree(4242);
    assert.deepEqual(calls.map((c) => [c.file, c.args]), [['C:\\Windows\\System32\\taskkill.exe', ['/PID', '4242', '/T', '/F']]]);
  });

  it('passes Unicode text to Set-Clipboard as base64 UTF-8 on stdin, never on the command line', async () => {
    const { runner, calls } = fakeRunner({});
    const text = 'héllo wörld ✓ "quoted" $(danger) `tick`';
    await new WindowsAdapter(runner, ENV).clipboardSet(text);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.file, PS);
    assert.ok(calls[0]!.args.includes('-Sta'), 'the clipboard needs an STA thread');
    assert.equal(decodeScript(calls[0]!), WINDOWS_SCRIPTS.clipboardSet);
    assert.deepEqual(decodeInput(calls[0]!), { text });
    assert.equal(calls[0]!.args.join(' ').includes('wörld'), false);
    assert.match(WINDOWS_SCRIPTS.clipboardSet, /Set-Clipboard -Value \$a\.text/);
  });

  it('reads the clipboard with Get-Clipboard -Raw and decodes the UTF-8 answer', async () => {
    const { runner, calls } = fakeRunner({ text: 'ünïcode ✓' });
    assert.equal(await new WindowsAdapter(runner, ENV).clipboardGet(), 'ünïcode ✓');
    assert.match(decodeScript(calls[0]!), /Get-Clipboard -Raw -Format Text/);
  });

  it('lists windows from Get-Process MainWindowTitle, marking the foreground one; a lone window object is accepted', async () => {
    const { runner, calls } = fakeRunner({ windows: { id: '132456', title: 'Untitled - Notepad', focused: true } });
    assert.deepEqual(await new WindowsAdapter(runner, ENV).windowsList(), [{ id: '132456', title: 'Untitled - Notepad', focused: true }]);
    const script = decodeScript(calls[0]!);
    assert.match(script, /Get-Process \| Where-Object \{ \$_\.MainWindowHandle -ne \[IntPtr\]::Zero -and \$_\.MainWindowTitle \}/);
    assert.match(script, /\[PantheonUser32\]::GetForegroundWindow\(\)/);
    assert.match(script, /Add-Type -TypeDefinition @'\n/);
    assert.match(script, /\n'@ \}\n/, 'the here-string closes at the start of a line');
  });

  it('focuses with SetForegroundWindow and maps "not found"; rejects non-numeric ids before running anything', async () => {
    const ok = fakeRunner({ found: true });
    await new WindowsAdapter(ok.runner, ENV).windowFocus('132456');
    assert.match(decodeScript(ok.calls[0]!), /\[PantheonUser32\]::Focus\(\[IntPtr\]\[Int64\]\$a\.id\)/);
    assert.deepEqual(decodeInput(ok.calls[0]!), { id: '132456' });
    await assert.rejects(new WindowsAdapter(fakeRunner({ found: false }).runner, ENV).windowFocus('1'), { code: 'not_found' });
    const none = fakeRunner();
    await assert.rejects(new WindowsAdapter(none.runner, ENV).windowFocus('1; Remove-Item C:\\'), { code: 'bad_request' });
    assert.equal(none.calls.length, 0);
  });

  it('types Unicode with SendInput KEYEVENTF_UNICODE (and Enter/Tab as keys)', async () => {
    const { runner, calls } = fakeRunner({ sent: 4 });
    await new WindowsAdapter(runner, ENV).typeText('hé✓\n');
    assert.deepEqual(decodeInput(calls[0]!), { text: 'hé✓\n' });
    assert.match(decodeScript(calls[0]!), /\[PantheonUser32\]::Type\(\[string\]\$a\.text\)/);
    assert.match(USER32_SNIPPET, /Key\(list, 0, c, 4\); Key\(list, 0, c, 4 \| 2\);/);
    assert.match(USER32_SNIPPET, /if \(c == '\\n' \|\| c == '\\r'\) \{ Key\(list, 0x0D, 0, 0\)/);
    // The union holds MOUSEINPUT too, so Marshal.SizeOf(INPUT) is the size SendInput demands.
    assert.match(USER32_SNIPPET, /\[FieldOffset\(8\)\] public MOUSEINPUT mi; \[FieldOffset\(8\)\] public KEYBDINPUT ki;/);
  });

  it('launches apps with Start-Process -PassThru, arguments quoted the CommandLineToArgvW way', async () => {
    const { runner, calls } = fakeRunner({ pid: 5100 });
    assert.equal(await new WindowsAdapter(runner, ENV).appLaunch('notepad.exe', ['C:\\My Files\\a.txt', 'plain']), 5100);
    assert.deepEqual(decodeInput(calls[0]!), { command: 'notepad.exe', args: '"C:\\My Files\\a.txt" plain' });
    assert.match(decodeScript(calls[0]!), /Start-Process -FilePath \$a\.command -ArgumentList \$a\.args -PassThru/);
    const bare = fakeRunner({ pid: null });
    assert.equal(await new WindowsAdapter(bare.runner, ENV).appLaunch('calc', []), null);
    assert.deepEqual(decodeInput(bare.calls[0]!), { command: 'calc' });
  });

  it('sets the user environment in HKCU\\Environment from stdin (the token never on a command line), then broadcasts WM_SETTINGCHANGE', async () => {
    const { runner, calls } = fakeRunner({ broadcast: true });
    const token = 'pt_secret-token-value';
    await new WindowsAdapter(runner, ENV).setUserEnv({ ANTHROPIC_API_KEY: token, ANTHROPIC_BASE_URL: 'http://172.30.7.3:3000', OPENAI_ORG_ID: null });
    assert.equal(calls.length, 1);
    const call = calls[0]!;
    assert.equal(call.file, PS, 'powershell.exe itself, no setx (its argv would show the token to process listings)');
    assert.deepEqual(call.args.slice(0, 7), ['-NoLogo', '-NoProfile', '-NonInteractive', '-Sta', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
    assert.equal(call.args.length, 8);
    assert.equal(call.args.join(' ').includes(token), false);
    assert.equal(decodeScript(call).includes(token), false);
    assert.deepEqual(decodeInput(call), { vars: { ANTHROPIC_API_KEY: token, ANTHROPIC_BASE_URL: 'http://172.30.7.3:3000', OPENAI_ORG_ID: null } });
    const script = decodeScript(call);
    assert.equal(script, WINDOWS_SCRIPTS.setUserEnv);
    assert.match(script, /\[Microsoft\.Win32\.Registry\]::CurrentUser\.CreateSubKey\('Environment'\)/);
    assert.match(script, /\$k\.SetValue\(\$p\.Name, \[string\]\$p\.Value, \[Microsoft\.Win32\.RegistryValueKind\]::String\)/);
    assert.match(script, /if \(\$null -eq \$p\.Value\) \{ \$k\.DeleteValue\(\$p\.Name, \$false\) \}/, 'null removes the value');
    assert.match(script, /\[PantheonEnvBroadcast\]::Send\(\)/);
    assert.match(script, /\n'@ \}\n/, 'the here-string closes at the start of a line');
    // HWND_BROADCAST, WM_SETTINGCHANGE with lParam "Environment", SMTO_ABORTIFHUNG: what Explorer listens for.
    assert.match(SETTING_CHANGE_SNIPPET, /SendMessageTimeout\(\(IntPtr\)0xffff, 0x001A, UIntPtr\.Zero, "Environment", 0x0002, 5000, out r\)/);
    await assert.rejects(new WindowsAdapter(fakeRunner({}, 1).runner, ENV).setUserEnv({ OPENAI_API_KEY: token }), { code: 'failed' });
  });

  it('turns a failing helper into a "failed" error with the first stderr line', async () => {
    await assert.rejects(new WindowsAdapter(fakeRunner({}, 1).runner, ENV).clipboardGet(), { code: 'failed', message: 'powershell exited with 1: Boom' });
  });
});

describe('quoteWindowsArg / encodePowerShell', () => {
  it('quotes like CommandLineToArgvW expects', () => {
    assert.equal(quoteWindowsArg('plain'), 'plain');
    assert.equal(quoteWindowsArg(''), '""');
    assert.equal(quoteWindowsArg('a b'), '"a b"');
    assert.equal(quoteWindowsArg('say "hi"'), '"say \\"hi\\""');
    assert.equal(quoteWindowsArg('C:\\dir with space\\'), '"C:\\dir with space\\\\"');
    assert.equal(quoteWindowsArg('a\\"b'), '"a\\\\\\"b"');
  });

  it('encodes UTF-16LE base64', () => {
    assert.equal(encodePowerShell('dir'), 'ZABpAHIA');
  });
});
