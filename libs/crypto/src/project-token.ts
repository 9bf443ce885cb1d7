import { createHash, randomBytes } from 'node:crypto';

/** Recognisable prefix, so leaked tokens can be found by secret scanners. */
export const PROJECT_TOKEN_PREFIX = 'pt_';
const TOKEN_SHAPE = /^pt_[A-Za-z0-9_-]{43}$/;

export interface IssuedProjectToken {
  /** Shown once to whoever receives it; never stored. */
  token: string;
  /** SHA-256 of the token: what the database keeps. */
  hash: Buffer;
  /** First characters, for telling tokens apart in listings. */
  displayPrefix: string;
}

/** A new random project token (256 bits). High entropy makes a plain SHA-256 an adequate stored form. */
export function generateProjectToken(): IssuedProjectToken {
  const token = `${PROJECT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashProjectToken(token), displayPrefix: token.slice(0, 10) };
}

export function hashProjectToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Cheap shape check before any database lookup. */
export function looksLikeProjectToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}
