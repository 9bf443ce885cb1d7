import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinuxAdapter } from './linux.adapter';
import type { ProcessRunner, RunOptions, RunResult } from './process-runner';

interface Call {
  file: string;
  args: string[];
  options?: RunOptions;
}

/** Answers each helper call from a script keyed by its argv. */
function fakeRunner(answers: Record<string, Partial<RunResult>>): { runner: ProcessRunner; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    runner: {
      async run(file: string, args: string[], options?: RunOptions): Promise<RunResult> {
        calls.push({ file, args, options });
        const answer = answers[[file, ...args].join(' ')] ?? {};
        return { code: 0, stdout: '', stderr: '', ...answer };
      },
    },
  };
}

const ENV = { DISPLAY: ':7', PATH: '/usr/bin' };

describe('LinuxAdapter', () => {
  it('runs sh -c for exec and refuses the Windows shells', () => {
    const adapter = new LinuxAdapter(fakeRunner({}).runner, ENV);
    assert.deepEqual(adapter.shellInvocation('sh', 'echo hi'), { file: '/bin/sh', args: ['-c', 'echo hi'] });
    assert.throws(() => adapter.shellInvocation('powershell', 'dir'), /not available on linux/);
    assert.equal(adapter.detachShell, true, 'a process group, so a timeout kills the whole tree');
  });

  it('lists visible named windows with xdotool and marks the focused one; PointerRoot focus marks none', async () => {
    const { runner, calls } = fakeRunner({
      'xdotool search --onlyvisible --name .+': { stdout: '101\n202\n' },
      'xdotool getwindowfocus': { stdout: '202\n' },
      'xdotool getwindowname 101': { stdout: 'xterm\n' },
      'xdotool getwindowname 202': { stdout: 'héllo ✓\n' },
    });
    assert.deepEqual(await new LinuxAdapter(runner, ENV).windowsList(), [
      { id: '101', title: 'xterm', focused: false },
      { id: '202', title: 'héllo ✓', focused: true },
    ]);
    assert.equal(calls[0]!.options?.env?.DISPLAY, ':7');
    const none = fakeRunner({
      'xdotool search --onlyvisible --name .+': { stdout: '101\n' },
      'xdotool getwindowfocus': { code: 1, stdout: '', stderr: 'XGetInputFocus returned the focused window of 1' },
      'xdotool getwindowname 101': { stdout: 'xterm\n' },
    });
    assert.deepEqual(await new LinuxAdapter(none.runner, ENV).windowsList(), [{ id: '101', title: 'xterm', focused: false }]);
  });

  it('focuses by raising and giving input focus; a vanished window is not_found, a bad id never reaches xdotool', async () => {
    const ok = fakeRunner({});
    await new LinuxAdapter(ok.runner, ENV).windowFocus('101');
    assert.deepEqual(ok.calls.map((c) => [c.file, ...c.args]), [['xdotool', 'windowraise', '101', 'windowfocus', '101']]);
    const gone = fakeRunner({ 'xdotool windowraise 9 windowfocus 9': { code: 1, stderr: 'X Error of failed request:  BadWindow (invalid Window parameter)' } });
    await assert.rejects(new LinuxAdapter(gone.runner, ENV).windowFocus('9'), { code: 'not_found' });
    const bad = fakeRunner({});
    await assert.rejects(new LinuxAdapter(bad.runner, ENV).windowFocus('--help'), { code: 'bad_request' });
    assert.equal(bad.calls.length, 0);
  });

  it('types with xdotool in a UTF-8 locale, text after "--", slower when keys must be remapped', async () => {
    const { runner, calls } = fakeRunner({});
    const adapter = new LinuxAdapter(runner, ENV);
    await adapter.typeText('--plain ascii\n');
    await adapter.typeText('héllo ✓');
    assert.deepEqual(calls[0]!.args, ['type', '--clearmodifiers', '--delay', '12', '--', '--plain ascii\n']);
    assert.deepEqual(calls[1]!.args, ['type', '--clearmodifiers', '--delay', '80', '--', 'héllo ✓']);
    assert.equal(calls[1]!.options?.env?.LC_ALL, 'C.UTF-8');
  });

  it('reads the clipboard with xclip; an empty selection is empty text, other failures are errors', async () => {
    const some = fakeRunner({ 'xclip -selection clipboard -o': { stdout: 'ünï ✓' } });
    assert.equal(await new LinuxAdapter(some.runner, ENV).clipboardGet(), 'ünï ✓');
    const empty = fakeRunner({ 'xclip -selection clipboard -o': { code: 1, stderr: 'Error: target STRING not available' } });
    assert.equal(await new LinuxAdapter(empty.runner, ENV).clipboardGet(), '');
    const broken = fakeRunner({ 'xclip -selection clipboard -o': { code: 1, stderr: "Error: Can't open display: :7" } });
    await assert.rejects(new LinuxAdapter(broken.runner, ENV).clipboardGet(), { code: 'failed', message: "xclip exited with 1: Error: Can't open display: :7" });
  });
});
