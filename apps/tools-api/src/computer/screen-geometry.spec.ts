import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComputerInputError } from './computer.types';
import { regionToFramebuffer, screenGeometry, toFramebuffer, toScreenshot } from './screen-geometry';

describe('screen geometry', () => {
  it('scales down to maxWidth keeping the aspect ratio, never up', () => {
    assert.deepEqual(screenGeometry(1920, 1080, 1280), { fbWidth: 1920, fbHeight: 1080, width: 1280, height: 720 });
    assert.deepEqual(screenGeometry(1024, 768, 1280), { fbWidth: 1024, fbHeight: 768, width: 1024, height: 768 });
  });

  it('maps screenshot coordinates to framebuffer pixels and back', () => {
    const g = screenGeometry(1920, 1080, 1280);
    assert.deepEqual(toFramebuffer([0, 0], g), [0, 0]);
    assert.deepEqual(toFramebuffer([640, 360], g), [960, 540]);
    assert.deepEqual(toFramebuffer([1279, 719], g), [1919, 1079]);
    assert.deepEqual(toScreenshot([960, 540], g), [640, 360]);
    const same = screenGeometry(1024, 768, 1280);
    assert.deepEqual(toFramebuffer([17, 700], same), [17, 700]);
  });

  it('refuses off-screen and non-integer coordinates, naming the valid range', () => {
    const g = screenGeometry(1920, 1080, 1280);
    assert.throws(() => toFramebuffer([1280, 0], g), (e: Error) => e instanceof ComputerInputError && /0-1279/.test(e.message));
    assert.throws(() => toFramebuffer([0, -1], g), /y 0-719/);
    assert.throws(() => toFramebuffer([1.5, 2], g), ComputerInputError);
    assert.throws(() => toFramebuffer('10,10', g), ComputerInputError);
  });

  it('maps zoom regions to framebuffer rectangles and refuses empty or off-screen ones', () => {
    const g = screenGeometry(1920, 1080, 1280);
    assert.deepEqual(regionToFramebuffer([0, 0, 640, 360], g), { x: 0, y: 0, w: 960, h: 540 });
    assert.deepEqual(regionToFramebuffer([0, 0, 1280, 720], g), { x: 0, y: 0, w: 1920, h: 1080 });
    assert.throws(() => regionToFramebuffer([10, 10, 10, 20], g), ComputerInputError);
    assert.throws(() => regionToFramebuffer([0, 0, 1281, 10], g), /x1 <= 1280/);
  });
});
