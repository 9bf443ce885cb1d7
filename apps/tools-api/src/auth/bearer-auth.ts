import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http/http-error';
import type { SecretFile } from './secret-file';

/** Paths anyone on the tools network may call: the bare liveness probe only. */
const PUBLIC_PATHS = new Set(['/live']);

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Every route but `/live` needs `Authorization: Bearer <credential>`, the credential being the content of the
 * file the worker wrote. Compared as SHA-256 digests with timingSafeEqual (equal lengths, constant time). An
 * unreadable credential file refuses everyone (fail closed).
 */
export class BearerAuth {
  constructor(private readonly credential: SecretFile) {}

  isPublic(path: string): boolean {
    return PUBLIC_PATHS.has(path);
  }

  /** @throws HttpError 401 */
  async check(req: IncomingMessage): Promise<void> {
    const header = req.headers.authorization ?? '';
    const presented = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec(header)?.[1];
    if (presented === undefined) throw new HttpError(401, 'A bearer credential is required');
    const expected = await this.credential.read();
    if (expected === null || !timingSafeEqual(sha256(presented), sha256(expected))) {
      throw new HttpError(401, 'The credential is not valid for this project');
    }
  }
}
