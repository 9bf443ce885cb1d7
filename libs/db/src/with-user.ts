import { PrismaClient } from '@pantheon/prisma-client';
import { pendingScope, Tx } from './prisma.client';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ScopeOptions {
  /** Prisma's default (5 s) is too short for batch work on a loaded machine. */
  timeoutMs?: number;
}

/**
 * One transaction whose first statement sets `name` to `value` for the transaction only. A client made by
 * createPrismaClient sends the setting with its BEGIN (one round trip, no extra Prisma query); any other client,
 * or a BEGIN the setting did not reach, gets it as the transaction's first query here. Either way `fn` never
 * runs before the identity is set.
 */
function scoped<T>(client: PrismaClient, name: string, value: string, fn: (tx: Tx) => Promise<T>, timeoutMs: number): Promise<T> {
  const scope = { name, value, applied: false };
  return pendingScope.run(scope, () =>
    client.$transaction(
      async (tx) => {
        if (!scope.applied) await tx.$executeRaw`select set_config(${name}, ${value}, true)`;
        return fn(tx);
      },
      { timeout: timeoutMs, maxWait: 10_000 },
    ),
  );
}

/**
 * Runs `fn` in one transaction whose row-level-security identity is `userId`.
 *
 * `set_config(..., true)` is transaction-local: when the transaction ends the pooled connection forgets the
 * id, so one request's identity can never leak into another request that reuses the connection.
 */
export async function withUser<T>(
  client: PrismaClient,
  userId: string,
  fn: (tx: Tx) => Promise<T>,
  opts: ScopeOptions = {},
): Promise<T> {
  if (!UUID_RE.test(userId)) throw new TypeError('withUser needs a user id (uuid)');
  return scoped(client, 'app.user_id', userId, fn, opts.timeoutMs ?? 15_000);
}

/**
 * Runs `fn` in a transaction that may see only the user row of a verified token subject. Used once per
 * request to map `sub` to our user id (which is not known yet, so withUser cannot be used).
 */
export async function withAuthSubject<T>(
  client: PrismaClient,
  sub: string,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  if (!sub) throw new TypeError('withAuthSubject needs a subject');
  return scoped(client, 'app.auth_sub', sub, fn, 15_000);
}

/** Switches a running scope to the user id found by withAuthSubject (same transaction). */
export async function enterUserScope(tx: Tx, userId: string): Promise<void> {
  if (!UUID_RE.test(userId)) throw new TypeError('enterUserScope needs a user id (uuid)');
  await tx.$executeRaw`select set_config('app.user_id', ${userId}, true)`;
}

/**
 * Runs `fn` in a transaction that may see only the project token with this hash (hex). Used by the LLM
 * gateway to resolve a presented token to its project and owner before the owner is known.
 */
export async function withTokenHash<T>(client: PrismaClient, hashHex: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!/^[0-9a-f]{64}$/.test(hashHex)) throw new TypeError('withTokenHash needs a SHA-256 hex digest');
  return scoped(client, 'app.token_hash', hashHex, fn, 15_000);
}
