import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { charToKeysym, keyNameToKeyCode, needsShift, parseKeyCombos } from './keysym.map';

describe('charToKeysym', () => {
  it('maps printable ASCII and Latin-1 to themselves, newline and tab to Return and Tab', () => {
    assert.equal(charToKeysym('a'), 0x61);
    assert.equal(charToKeysym('~'), 0x7e);
    assert.equal(charToKeysym(' '), 0x20);
    assert.equal(charToKeysym('é'), 0xe9);
    assert.equal(charToKeysym('\n'), 0xff0d);
    assert.equal(charToKeysym('\t'), 0xff09);
  });

  it('has nothing for control characters, other scripts and emoji', () => {
    assert.equal(charToKeysym('\u0007'), null);
    assert.equal(charToKeysym('ж'), null);
    assert.equal(charToKeysym('😀'), null);
  });
});

describe('needsShift', () => {
  it('is true for US-layout shifted characters only', () => {
    assert.deepEqual([...'A!~_"?'].map(needsShift), [true, true, true, true, true, true]);
    assert.deepEqual([...'a1`-\'/ é'].map(needsShift), [false, false, false, false, false, false, false, false]);
  });
});

describe('keyNameToKeyCode', () => {
  it('knows xdotool names case-insensitively, with XT scancodes (E0 keys as 0x80|code)', () => {
    assert.deepEqual(keyNameToKeyCode('Return'), { keysym: 0xff0d, scancode: 0x1c });
    assert.deepEqual(keyNameToKeyCode('enter'), { keysym: 0xff0d, scancode: 0x1c });
    assert.deepEqual(keyNameToKeyCode('Page_Down'), { keysym: 0xff56, scancode: 0xd1 });
    assert.deepEqual(keyNameToKeyCode('super'), { keysym: 0xffeb, scancode: 0xdb });
    assert.deepEqual(keyNameToKeyCode('F1'), { keysym: 0xffbe, scancode: 0x3b });
    assert.deepEqual(keyNameToKeyCode('F10'), { keysym: 0xffc7, scancode: 0x44 });
    assert.deepEqual(keyNameToKeyCode('F11'), { keysym: 0xffc8, scancode: 0x57 });
    assert.deepEqual(keyNameToKeyCode('F12'), { keysym: 0xffc9, scancode: 0x58 });
    assert.deepEqual(keyNameToKeyCode('Up'), { keysym: 0xff52, scancode: 0xc8 });
  });

  it('maps single characters, with scancodes for unshifted US keys only', () => {
    assert.deepEqual(keyNameToKeyCode('s'), { keysym: 0x73, scancode: 0x1f });
    assert.deepEqual(keyNameToKeyCode('1'), { keysym: 0x31, scancode: 0x02 });
    assert.deepEqual(keyNameToKeyCode('0'), { keysym: 0x30, scancode: 0x0b });
    assert.deepEqual(keyNameToKeyCode('m'), { keysym: 0x6d, scancode: 0x32 });
    assert.deepEqual(keyNameToKeyCode('S'), { keysym: 0x53 });
    assert.equal(keyNameToKeyCode('NoSuchKey'), null);
  });
});

describe('parseKeyCombos', () => {
  it('splits space-separated combos of +-joined keys', () => {
    assert.deepEqual(
      parseKeyCombos('ctrl+shift+Escape').map((c) => c.map((k) => k.keysym)),
      [[0xffe3, 0xffe1, 0xff1b]],
    );
    assert.deepEqual(
      parseKeyCombos('ctrl+a Delete').map((c) => c.map((k) => k.keysym)),
      [[0xffe3, 0x61], [0xffff]],
    );
    assert.deepEqual(parseKeyCombos('alt+F4')[0].map((k) => k.keysym), [0xffe9, 0xffc1]);
  });

  it('treats a trailing or lone + as the plus key', () => {
    assert.deepEqual(parseKeyCombos('ctrl++')[0].map((k) => k.keysym), [0xffe3, 0x2b]);
    assert.deepEqual(parseKeyCombos('+')[0].map((k) => k.keysym), [0x2b]);
  });

  it('names the unknown key', () => {
    assert.throws(() => parseKeyCombos('ctrl+bogus'), /"bogus"/);
    assert.throws(() => parseKeyCombos('   '), /no key/);
  });
});
