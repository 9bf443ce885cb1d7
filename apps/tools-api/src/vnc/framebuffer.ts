/**
 * The client's copy of the remote screen: R, G, B, A with A always 255, 4 bytes per pixel, rows top to
 * bottom. Keeping A opaque here means an encoder can hand the buffer to sharp as RGBA without a per-pixel
 * pass per screenshot (sharp premultiplies by alpha when resizing).
 */
export class Framebuffer {
  data: Buffer;
  /** Bumped whenever a pixel actually changes (or the size does): lets callers reuse an encoded image. */
  generation = 0;

  constructor(
    public width: number,
    public height: number,
  ) {
    this.data = opaqueBlack(width * height);
  }

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.data = opaqueBlack(width * height);
    this.generation++;
  }

  /** Raw rectangles arrive with the padding byte (usually 0) where we keep alpha: set it before putRect. */
  static makeOpaque(pixels: Buffer): Buffer {
    for (let i = 3; i < pixels.length; i += 4) pixels[i] = 255;
    return pixels;
  }

  /** Copies `w*h` RGBX pixels from `src` (tightly packed) to (x, y), clipped to the framebuffer. */
  putRect(x: number, y: number, w: number, h: number, src: Buffer): void {
    const cw = Math.min(w, this.width - x);
    if (cw <= 0) return;
    let changed = false;
    for (let row = 0; row < h && y + row < this.height; row++) {
      const at = ((y + row) * this.width + x) * 4;
      const from = row * w * 4;
      // Servers resend unchanged pixels (answers to non-incremental requests); memcmp keeps `generation` honest.
      if (!changed && this.data.compare(src, from, from + cw * 4, at, at + cw * 4) === 0) continue;
      changed = true;
      src.copy(this.data, at, from, from + cw * 4);
    }
    if (changed) this.generation++;
  }

  /** CopyRect: the source may overlap the destination, so rows go through a copy of the source. */
  copyRect(sx: number, sy: number, dx: number, dy: number, w: number, h: number): void {
    const cw = Math.min(w, this.width - dx, this.width - sx);
    const ch = Math.min(h, this.height - dy, this.height - sy);
    if (cw <= 0 || ch <= 0) return;
    const tmp = Buffer.allocUnsafe(cw * ch * 4);
    for (let row = 0; row < ch; row++) {
      const s = ((sy + row) * this.width + sx) * 4;
      this.data.copy(tmp, row * cw * 4, s, s + cw * 4);
    }
    for (let row = 0; row < ch; row++) {
      tmp.copy(this.data, ((dy + row) * this.width + dx) * 4, row * cw * 4, (row + 1) * cw * 4);
    }
    if (sx !== dx || sy !== dy) this.generation++;
  }

  /** A copy of the pixels, safe to encode while updates keep arriving. */
  snapshot(): { width: number; height: number; data: Buffer } {
    return { width: this.width, height: this.height, data: Buffer.from(this.data) };
  }
}

function opaqueBlack(pixels: number): Buffer {
  const data = Buffer.alloc(pixels * 4);
  new Uint32Array(data.buffer, data.byteOffset, pixels).fill(0xff000000);
  return data;
}
