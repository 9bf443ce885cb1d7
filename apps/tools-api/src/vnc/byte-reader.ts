/**
 * Buffers socket chunks and hands out exact byte counts, so the RFB state machine reads like the RFC
 * (`await reader.read(12)`) instead of re-parsing partial messages on every 'data' event.
 */
export class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const w = this.waiter;
    if (w && this.buffered >= w.n) {
      this.waiter = null;
      w.resolve(this.take(w.n));
    }
  }

  /** Fails the pending and every later read (socket closed or errored). */
  fail(error: Error): void {
    this.failure ??= error;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(this.failure);
  }

  read(n: number): Promise<Buffer> {
    if (this.buffered >= n) return Promise.resolve(this.take(n));
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error('ByteReader: concurrent reads'));
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
    });
  }

  async u8(): Promise<number> {
    return (await this.read(1))[0];
  }

  async u16(): Promise<number> {
    return (await this.read(2)).readUInt16BE(0);
  }

  async u32(): Promise<number> {
    return (await this.read(4)).readUInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      // Common case: the bytes sit in one chunk; a subarray avoids a copy.
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.buffered -= n;
    return out;
  }
}
