import type { Framebuffer } from './framebuffer';

/**
 * ZRLE (RFC 6143 §7.7.6) for the client pixel format of rfb-protocol.ts: CPIXELs are 3 bytes (R, G, B).
 * `data` is the inflated payload of one rectangle; tiles are 64x64, left to right, top to bottom.
 */
const TILE = 64;

export class ZrleError extends Error {}

export function decodeZrle(data: Buffer, x: number, y: number, w: number, h: number, fb: Framebuffer): void {
  let p = 0;
  const tile = Buffer.alloc(TILE * TILE * 4);
  const palette = new Uint32Array(128);
  const need = (n: number): void => {
    if (p + n > data.length) throw new ZrleError('ZRLE data ends inside a tile');
  };
  const cpixel = (): number => {
    need(3);
    const v = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | 0xff000000;
    p += 3;
    return v >>> 0;
  };
  const runLength = (): number => {
    let len = 1;
    for (;;) {
      need(1);
      const b = data[p++];
      len += b;
      if (b !== 255) return len;
    }
  };

  for (let ty = y; ty < y + h; ty += TILE) {
    const th = Math.min(TILE, y + h - ty);
    for (let tx = x; tx < x + w; tx += TILE) {
      const tw = Math.min(TILE, x + w - tx);
      const count = tw * th;
      const px = new Uint32Array(tile.buffer, tile.byteOffset, count);
      need(1);
      const sub = data[p++];
      if (sub === 0) {
        for (let i = 0; i < count; i++) px[i] = cpixel();
      } else if (sub === 1) {
        px.fill(cpixel());
      } else if (sub <= 16) {
        for (let i = 0; i < sub; i++) palette[i] = cpixel();
        const bits = sub === 2 ? 1 : sub <= 4 ? 2 : 4;
        const mask = (1 << bits) - 1;
        const rowBytes = Math.ceil((tw * bits) / 8);
        need(rowBytes * th);
        for (let row = 0; row < th; row++) {
          let byteAt = p + row * rowBytes;
          let shift = 8 - bits;
          for (let col = 0; col < tw; col++) {
            px[row * tw + col] = palette[(data[byteAt] >> shift) & mask];
            shift -= bits;
            if (shift < 0) {
              shift = 8 - bits;
              byteAt++;
            }
          }
        }
        p += rowBytes * th;
      } else if (sub === 128) {
        for (let i = 0; i < count; ) {
          const v = cpixel();
          const len = runLength();
          if (i + len > count) throw new ZrleError('ZRLE run overflows its tile');
          px.fill(v, i, i + len);
          i += len;
        }
      } else if (sub >= 130) {
        const size = sub - 128;
        for (let i = 0; i < size; i++) palette[i] = cpixel();
        for (let i = 0; i < count; ) {
          need(1);
          const b = data[p++];
          const v = palette[b & 127];
          const len = b & 128 ? runLength() : 1;
          if (i + len > count) throw new ZrleError('ZRLE run overflows its tile');
          px.fill(v, i, i + len);
          i += len;
        }
      } else {
        throw new ZrleError(`ZRLE subencoding ${sub} is not defined`);
      }
      // Uint32 little-endian 0xff_BB_GG_RR lands in memory as R, G, B, 0xff.
      fb.putRect(tx, ty, tw, th, tile.subarray(0, count * 4));
    }
  }
  if (p !== data.length) throw new ZrleError(`ZRLE rectangle has ${data.length - p} trailing bytes`);
}
