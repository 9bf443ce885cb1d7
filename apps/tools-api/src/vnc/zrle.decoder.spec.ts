import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants, createDeflate, inflateSync } from 'node:zlib';
import { Framebuffer } from './framebuffer';
import { ZrleError, decodeZrle } from './zrle.decoder';
import { ZlibStream } from './zlib-stream';

const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];
const WHITE = [255, 255, 255];

function pixel(fb: Framebuffer, x: number, y: number): number[] {
  const i = (y * fb.width + x) * 4;
  return [fb.data[i], fb.data[i + 1], fb.data[i + 2]];
}

function run(len: number): number[] {
  const out: number[] = [];
  let rest = len - 1;
  while (rest >= 255) {
    out.push(255);
    rest -= 255;
  }
  out.push(rest);
  return out;
}

describe('decodeZrle', () => {
  it('decodes a raw tile (subencoding 0), CPIXELs as R, G, B', () => {
    const fb = new Framebuffer(4, 4);
    decodeZrle(Buffer.from([0, ...RED, ...GREEN, ...BLUE, ...WHITE]), 1, 1, 2, 2, fb);
    assert.deepEqual(pixel(fb, 1, 1), RED);
    assert.deepEqual(pixel(fb, 2, 1), GREEN);
    assert.deepEqual(pixel(fb, 1, 2), BLUE);
    assert.deepEqual(pixel(fb, 2, 2), WHITE);
    assert.deepEqual(pixel(fb, 0, 0), [0, 0, 0], 'outside the rectangle stays untouched');
  });

  it('splits a rectangle into 64x64 tiles, left to right then top to bottom', () => {
    const fb = new Framebuffer(100, 70);
    // 100x70 = tiles (64x64, 36x64, 64x6, 36x6), each solid in its own colour.
    decodeZrle(Buffer.from([1, ...RED, 1, ...GREEN, 1, ...BLUE, 1, ...WHITE]), 0, 0, 100, 70, fb);
    assert.deepEqual(pixel(fb, 63, 63), RED);
    assert.deepEqual(pixel(fb, 64, 0), GREEN);
    assert.deepEqual(pixel(fb, 99, 63), GREEN);
    assert.deepEqual(pixel(fb, 0, 64), BLUE);
    assert.deepEqual(pixel(fb, 99, 69), WHITE);
  });

  it('decodes packed palettes with 1, 2 and 4 bits per pixel, rows padded to a byte', () => {
    const fb = new Framebuffer(3, 2);
    // 2 colours, 1 bit: row0 = 1,0,1 -> 0b101_00000; row1 = 0,1,1 -> 0b011_00000
    decodeZrle(Buffer.from([2, ...RED, ...GREEN, 0b10100000, 0b01100000]), 0, 0, 3, 2, fb);
    assert.deepEqual([pixel(fb, 0, 0), pixel(fb, 1, 0), pixel(fb, 2, 0)], [GREEN, RED, GREEN]);
    assert.deepEqual([pixel(fb, 0, 1), pixel(fb, 1, 1), pixel(fb, 2, 1)], [RED, GREEN, GREEN]);

    // 3 colours, 2 bits: row0 = 2,1,0 -> 0b10_01_00_00
    decodeZrle(Buffer.from([3, ...RED, ...GREEN, ...BLUE, 0b10010000, 0b00000000]), 0, 0, 3, 2, fb);
    assert.deepEqual([pixel(fb, 0, 0), pixel(fb, 1, 0), pixel(fb, 2, 0)], [BLUE, GREEN, RED]);

    // 5 colours, 4 bits: row0 = 4,3,2 -> 0x43 0x20
    const five = [RED, GREEN, BLUE, WHITE, [1, 2, 3]].flat();
    decodeZrle(Buffer.from([5, ...five, 0x43, 0x20, 0x00, 0x00]), 0, 0, 3, 2, fb);
    assert.deepEqual([pixel(fb, 0, 0), pixel(fb, 1, 0), pixel(fb, 2, 0)], [[1, 2, 3], WHITE, BLUE]);
  });

  it('decodes plain RLE (128) with run lengths above 255', () => {
    const fb = new Framebuffer(64, 64);
    // 4096 pixels: 300 red, then 3796 green.
    decodeZrle(Buffer.from([128, ...RED, ...run(300), ...GREEN, ...run(3796)]), 0, 0, 64, 64, fb);
    assert.deepEqual(pixel(fb, 299 % 64, Math.floor(299 / 64)), RED);
    assert.deepEqual(pixel(fb, 300 % 64, Math.floor(300 / 64)), GREEN);
    assert.deepEqual(pixel(fb, 63, 63), GREEN);
  });

  it('decodes palette RLE (130+): single pixels and runs', () => {
    const fb = new Framebuffer(4, 2);
    // palette [RED, BLUE]; pixels: BLUE, run of RED x6, BLUE
    decodeZrle(Buffer.from([130, ...RED, ...BLUE, 1, 0x80, ...run(6), 1]), 0, 0, 4, 2, fb);
    assert.deepEqual(pixel(fb, 0, 0), BLUE);
    assert.deepEqual(pixel(fb, 1, 0), RED);
    assert.deepEqual(pixel(fb, 2, 1), RED);
    assert.deepEqual(pixel(fb, 3, 1), BLUE);
  });

  it('sets the fourth byte opaque', () => {
    const fb = new Framebuffer(1, 1);
    decodeZrle(Buffer.from([1, 9, 8, 7]), 0, 0, 1, 1, fb);
    assert.deepEqual([...fb.data], [9, 8, 7, 255]);
  });

  it('rejects truncated data, overflowing runs, undefined subencodings and trailing bytes', () => {
    const fb = new Framebuffer(2, 2);
    assert.throws(() => decodeZrle(Buffer.from([0, ...RED]), 0, 0, 2, 2, fb), ZrleError);
    assert.throws(() => decodeZrle(Buffer.from([128, ...RED, ...run(5)]), 0, 0, 2, 2, fb), /overflows/);
    assert.throws(() => decodeZrle(Buffer.from([17]), 0, 0, 2, 2, fb), /subencoding 17/);
    assert.throws(() => decodeZrle(Buffer.from([1, ...RED, 0]), 0, 0, 2, 2, fb), /trailing/);
  });
});

describe('ZlibStream', () => {
  it('inflates consecutive sync-flushed chunks of one stream, which separate inflates cannot', async () => {
    const deflate = createDeflate();
    const compressed: Buffer[] = [];
    const texts = ['the same words repeat ', 'the same words repeat again ', 'and the same words repeat once more'];
    for (const text of texts) {
      const parts: Buffer[] = [];
      const onData = (c: Buffer): number => parts.push(c);
      deflate.on('data', onData);
      deflate.write(text);
      await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
      deflate.off('data', onData);
      compressed.push(Buffer.concat(parts));
    }
    deflate.destroy();
    const stream = new ZlibStream();
    try {
      for (let i = 0; i < texts.length; i++) assert.equal((await stream.push(compressed[i])).toString(), texts[i]);
    } finally {
      stream.close();
    }
    // The second chunk alone lacks the stream header and back-references: a fresh inflate fails on it.
    assert.throws(() => inflateSync(compressed[1]));
  });

  it('rejects corrupt data', async () => {
    const stream = new ZlibStream();
    try {
      await assert.rejects(stream.push(Buffer.from('definitely not zlib data')));
    } finally {
      stream.close();
    }
  });
});
