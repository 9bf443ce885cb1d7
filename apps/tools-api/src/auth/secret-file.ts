import { open, stat } from 'node:fs/promises';
import { constants } from 'node:fs';

/** Credentials are a line of base64url; anything longer is not one. */
const MAX_BYTES = 4096;

/**
 * A credential the worker keeps in a read-only mounted file. The worker replaces it by rename (renewal), so
 * the file is re-read whenever its inode, size or mtime changes; otherwise the cached value is served.
 */
export class SecretFile {
  private cached: { key: string; value: string } | null = null;

  constructor(readonly path: string) {}

  /** The current value, or null when the file is absent, unreadable, empty or not a regular file. */
  async read(): Promise<string | null> {
    let key: string;
    try {
      const s = await stat(this.path);
      if (!s.isFile() || s.size === 0 || s.size > MAX_BYTES) return null;
      key = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return null;
    }
    if (this.cached?.key === key) return this.cached.value;
    try {
      // O_NOFOLLOW: a link planted in place of the file is not followed.
      const handle = await open(this.path, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const value = (await handle.readFile('utf8')).trim();
        if (value === '') return null;
        this.cached = { key, value };
        return value;
      } finally {
        await handle.close();
      }
    } catch {
      return null;
    }
  }
}
