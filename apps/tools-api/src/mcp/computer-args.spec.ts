import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  actionTimeoutMs,
  ComputerArgsError,
  computerBatchInputSchema,
  computerInputSchema,
  toComputerAction,
  toComputerActions,
  type ComputerActionArgs,
} from './computer-args';

function rejects(args: ComputerActionArgs, message: string): void {
  assert.throws(() => toComputerAction(args), (error: unknown) => error instanceof ComputerArgsError && error.message === message);
}

describe('toComputerAction', () => {
  it('names the missing parameter and the action', () => {
    rejects({ action: 'mouse_move' }, 'coordinate is required for mouse_move');
    rejects({ action: 'left_click_drag', start_coordinate: [1, 2] }, 'coordinate is required for left_click_drag');
    rejects({ action: 'scroll', scroll_amount: 3 }, 'scroll_direction is required for scroll');
    rejects({ action: 'scroll', scroll_direction: 'down' }, 'scroll_amount is required for scroll');
    rejects({ action: 'type' }, 'text is required for type');
    rejects({ action: 'key', text: '' }, 'text must not be empty for key');
    rejects({ action: 'hold_key', text: 'shift' }, 'duration is required for hold_key');
    rejects({ action: 'wait' }, 'duration is required for wait');
    rejects({ action: 'zoom' }, 'region is required for zoom');
    rejects({ action: 'zoom', region: [10, 10, 10, 20] }, 'region must be [x0, y0, x1, y1] with x0 < x1 and y0 < y1');
  });

  it("builds the Desktop's action with only the fields that are set, ignoring unused ones", () => {
    assert.deepEqual(toComputerAction({ action: 'screenshot', coordinate: [1, 2], text: 'x' }), { action: 'screenshot' });
    assert.deepEqual(toComputerAction({ action: 'left_click' }), { action: 'left_click' });
    assert.deepEqual(toComputerAction({ action: 'double_click', coordinate: [5, 6], text: 'shift' }), {
      action: 'double_click',
      coordinate: [5, 6],
      text: 'shift',
    });
    assert.deepEqual(toComputerAction({ action: 'scroll', scroll_direction: 'up', scroll_amount: 2, coordinate: [3, 4] }), {
      action: 'scroll',
      scroll_direction: 'up',
      scroll_amount: 2,
      coordinate: [3, 4],
    });
    assert.deepEqual(toComputerAction({ action: 'left_click_drag', start_coordinate: [1, 1], coordinate: [9, 9] }), {
      action: 'left_click_drag',
      coordinate: [9, 9],
      start_coordinate: [1, 1],
    });
    assert.deepEqual(toComputerAction({ action: 'wait', duration: 1.5 }), { action: 'wait', duration: 1.5 });
    assert.deepEqual(toComputerAction({ action: 'zoom', region: [0, 0, 100, 50] }), { action: 'zoom', region: [0, 0, 100, 50] });
  });

  it('checks a whole batch first and names the failing index', () => {
    assert.throws(
      () => toComputerActions([{ action: 'screenshot' }, { action: 'key', text: 'Return' }, { action: 'mouse_move' }]),
      { name: 'ComputerArgsError', message: 'actions[2]: coordinate is required for mouse_move' },
    );
    assert.equal(toComputerActions([{ action: 'screenshot' }, { action: 'key', text: 'a' }]).length, 2);
  });

  it('gives waiting actions their duration on top of the settle deadline', () => {
    assert.equal(actionTimeoutMs({ action: 'wait', duration: 5 }), actionTimeoutMs({ action: 'screenshot' }) + 5_000);
    assert.ok(actionTimeoutMs({ action: 'type', text: 'x'.repeat(1000) }) > actionTimeoutMs({ action: 'screenshot' }));
  });
});

describe('computer input schemas', () => {
  it('reject unknown actions, unknown fields, bad coordinates and too long batches', () => {
    assert.equal(computerInputSchema.safeParse({ action: 'fly' }).success, false);
    assert.equal(computerInputSchema.safeParse({ action: 'screenshot', colour: 'red' }).success, false);
    assert.equal(computerInputSchema.safeParse({ action: 'mouse_move', coordinate: [1] }).success, false);
    assert.equal(computerInputSchema.safeParse({ action: 'mouse_move', coordinate: [-1, 2] }).success, false);
    assert.equal(computerInputSchema.safeParse({ action: 'mouse_move', coordinate: [1.5, 2] }).success, false);
    assert.equal(computerInputSchema.safeParse({ action: 'wait', duration: 61 }).success, false);
    assert.equal(computerInputSchema.safeParse({ action: 'screenshot', format: 'gif' }).success, false);
    assert.equal(computerInputSchema.safeParse({ action: 'screenshot', format: 'jpeg', quality: 0 }).success, false);
    assert.equal(computerInputSchema.safeParse({ action: 'screenshot', format: 'jpeg', quality: 60 }).success, true);
    assert.equal(computerBatchInputSchema.safeParse({ actions: [] }).success, false);
    assert.equal(computerBatchInputSchema.safeParse({ actions: Array(21).fill({ action: 'screenshot' }) }).success, false);
    assert.equal(computerBatchInputSchema.safeParse({ actions: Array(20).fill({ action: 'screenshot' }) }).success, true);
  });
});
