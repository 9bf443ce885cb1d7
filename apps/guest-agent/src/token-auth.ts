import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * The per-project agent token, read from its file on every check (the file is tiny; a re-provisioned /oem is
 * picked up without a restart). A missing, unreadable or empty file refuses everyone (fail closed).
 */
export class TokenAuth {
  constructor(private readonly tokenFile: string) {}

  async check(authorization: string | undefined): Promise<boolean> {
    const presented = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec(authorization ?? '')?.[1];
    if (presented === undefined) return false;
    const expected = (await readFile(this.tokenFile, 'utf8').catch(() => '')).trim();
    if (expected === '') return false;
    // Digests have equal lengths, so timingSafeEqual never throws and leaks neither length nor content.
    return timingSafeEqual(sha256(presented), sha256(expected));
  }
}
