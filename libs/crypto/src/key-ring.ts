import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { CryptoError, CryptoErrorCode } from './crypto.errors';

const MASTER_KEY_BYTES = 32;
const ENV_NAME = 'PANTHEON_MASTER_KEYS';
const VERSION_PATTERN = /^[1-9][0-9]*$/;
// Standard or URL-safe alphabet with optional padding. Buffer.from(…, 'base64') silently skips
// characters outside the alphabet, so validate first or a typo could yield a different key.
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** What a {@link KeyRing} shows when logged or serialised: versions only. */
export interface KeyRingSummary {
  versions: number[];
  current: number;
}

/**
 * Versioned 32-byte master keys parsed from `PANTHEON_MASTER_KEYS`.
 *
 * Keys live in a private field as `KeyObject`s, so the raw bytes are not reachable from
 * enumerable properties, `JSON.stringify` or `util.inspect`; a logged ring shows only versions.
 */
export class KeyRing {
  readonly #keys: ReadonlyMap<number, KeyObject>;
  readonly #current: number;

  private constructor(keys: Map<number, KeyObject>) {
    this.#keys = keys;
    this.#current = Math.max(...keys.keys());
  }

  /**
   * Parses `<version>:<base64 or base64url of 32 bytes>` entries separated by commas
   * (whitespace around entries and separators is ignored), e.g. `1:AbC…=,2:XyZ…=`.
   *
   * @throws CryptoError `MASTER_KEY_CONFIG` naming the entry or version at fault, never its key.
   */
  static parse(spec: string): KeyRing {
    if (spec.trim() === '') {
      throw configError(`${ENV_NAME} is empty; expected <version>:<base64 32-byte key>[,...]`);
    }
    const keys = new Map<number, KeyObject>();
    spec.split(',').forEach((rawEntry, index) => {
      const position = index + 1;
      const entry = rawEntry.trim();
      const separator = entry.indexOf(':');
      if (separator < 0) {
        throw configError(`${ENV_NAME} entry ${position} must have the form <version>:<base64 32-byte key>`);
      }
      const versionText = entry.slice(0, separator).trim();
      const encodedKey = entry.slice(separator + 1).trim();
      if (!VERSION_PATTERN.test(versionText) || !Number.isSafeInteger(Number(versionText))) {
        throw configError(`${ENV_NAME} entry ${position} has an invalid version; expected a positive integer`);
      }
      const version = Number(versionText);
      if (keys.has(version)) {
        throw configError(`${ENV_NAME} lists master key version ${version} more than once`);
      }
      if (!BASE64_PATTERN.test(encodedKey)) {
        throw configError(`master key version ${version} in ${ENV_NAME} is not valid base64 or base64url`);
      }
      const raw = Buffer.from(encodedKey, 'base64');
      if (raw.length !== MASTER_KEY_BYTES) {
        const length = raw.length;
        raw.fill(0);
        throw configError(`master key version ${version} must decode to ${MASTER_KEY_BYTES} bytes, got ${length}`);
      }
      keys.set(version, createSecretKey(raw));
      // createSecretKey copied the bytes out of the JS heap; do not leave a second copy behind.
      raw.fill(0);
    });
    return new KeyRing(keys);
  }

  /** Returns a fresh random single-key spec (`<version>:<base64>`) for development setup. */
  static generateSpec(version = 1): string {
    if (!Number.isSafeInteger(version) || version < 1) {
      throw configError('master key version must be a positive integer');
    }
    return `${version}:${randomBytes(MASTER_KEY_BYTES).toString('base64')}`;
  }

  /** Highest configured version; new ciphertexts are always written under it. */
  get current(): number {
    return this.#current;
  }

  /** Configured versions, ascending. */
  get versions(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }

  has(version: number): boolean {
    return this.#keys.has(version);
  }

  /**
   * The master key for `version` as a `KeyObject`; its bytes leave native memory only via an
   * explicit `.export()`, which nothing in Pantheon calls.
   *
   * @throws CryptoError `KEY_VERSION_UNKNOWN` if the version is not configured.
   */
  get(version: number): KeyObject {
    const key = this.#keys.get(version);
    if (key === undefined) {
      throw new CryptoError(
        CryptoErrorCode.KEY_VERSION_UNKNOWN,
        `provider key was encrypted with master key version ${version}, which is not configured in ${ENV_NAME}`,
      );
    }
    return key;
  }

  toJSON(): KeyRingSummary {
    return { versions: this.versions, current: this.#current };
  }

  [inspect.custom](): string {
    return `KeyRing { versions: [${this.versions.join(', ')}], current: ${this.#current} }`;
  }
}

function configError(message: string): CryptoError {
  return new CryptoError(CryptoErrorCode.MASTER_KEY_CONFIG, message);
}
