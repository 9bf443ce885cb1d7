import { constants, createInflate, type Inflate } from 'node:zlib';

/**
 * One zlib inflate stream for the life of an RFB connection: ZRLE's compressed data is a single stream
 * across all rectangles (the server sync-flushes at each rectangle's end), so each chunk must be fed to the
 * same inflater; inflateSync would lose the window and dictionary between rectangles.
 */
export class ZlibStream {
  private readonly inflate: Inflate = createInflate();
  private out: Buffer[] = [];
  private error: Error | null = null;
  /** A corrupt stream emits 'error' and never calls the flush callback: the pending push fails here. */
  private pendingReject: ((err: Error) => void) | null = null;

  constructor() {
    this.inflate.on('data', (chunk: Buffer) => this.out.push(chunk));
    this.inflate.on('error', (err: Error) => {
      this.error = err;
      this.pendingReject?.(err);
      this.pendingReject = null;
    });
  }

  /** Inflates one rectangle's compressed bytes; resolves with everything they decompress to. */
  push(compressed: Buffer): Promise<Buffer> {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      this.pendingReject = reject;
      this.inflate.write(compressed);
      this.inflate.flush(constants.Z_SYNC_FLUSH, () => {
        this.pendingReject = null;
        if (this.error) return reject(this.error);
        const result = this.out.length === 1 ? this.out[0] : Buffer.concat(this.out);
        this.out = [];
        resolve(result);
      });
    });
  }

  close(): void {
    this.inflate.destroy();
  }
}
