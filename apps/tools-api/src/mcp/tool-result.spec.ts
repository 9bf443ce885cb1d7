import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComputerInputError, DesktopUnavailableError } from '../computer/computer.types';
import { GuestAgentError } from '../guest-agent/guest-agent.client';
import { JsonLogger } from '../logging/json-logger';
import { ComputerArgsError } from './computer-args';
import { failureResult, ToolTimeoutError, withTimeout } from './tool-result';

describe('withTimeout', () => {
  it('rejects with the given message when the promise never settles', async () => {
    await assert.rejects(withTimeout(new Promise(() => undefined), 20, 'the desktop did not finish wait within 0.02 s'), {
      name: 'ToolTimeoutError',
      message: 'the desktop did not finish wait within 0.02 s',
    });
  });

  it('passes a result or an error through untouched', async () => {
    assert.equal(await withTimeout(Promise.resolve(7), 1_000, 'x'), 7);
    await assert.rejects(withTimeout(Promise.reject(new Error('boom')), 1_000, 'x'), { message: 'boom' });
  });
});

describe('failureResult', () => {
  const lines: string[] = [];
  const logger = new JsonLogger({ write: (line: string) => lines.push(line) });

  it('shows explained errors to the model as they are', () => {
    for (const error of [
      new ComputerArgsError('coordinate is required for mouse_move'),
      new ComputerInputError('unknown key name "Hyper"'),
      new DesktopUnavailableError('VNC connection refused'),
      new GuestAgentError('guest agent is unreachable', 'unreachable'),
      new ToolTimeoutError('late'),
    ]) {
      assert.deepEqual(failureResult(error, 'computer', logger), { content: [{ type: 'text', text: error.message }], isError: true });
    }
    assert.deepEqual(lines, []);
  });

  it('hides unexpected errors behind a generic message and logs their name only', () => {
    const result = failureResult(new TypeError('secret internals at /app/x.js'), 'shell', logger);
    assert.deepEqual(result, { content: [{ type: 'text', text: 'shell failed unexpectedly; the error was logged' }], isError: true });
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes('secret internals'));
    assert.match(lines[0] ?? '', /"tool":"shell","error":"TypeError"/);
  });
});
