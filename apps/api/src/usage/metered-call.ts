import type { Logger } from '@nestjs/common';
import type { DbService, Tx, UsageInput, UsageRepository } from '@pantheon/db';
import {
  ChatProvider,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  parseModelRef,
  ProviderError,
  ProviderErrorCode,
  ProviderId,
  ProviderRegistry,
  Usage,
} from '@pantheon/providers';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { isCallFailure } from '../common/error-map';
import type { ApiMetrics } from '../metrics/api.metrics';
import type { UpstreamTiming } from '../metrics/upstream-timing';
import type { GatewayCache } from '../gateway-cache/gateway-cache';
import type { ProviderKeyVault, ResolvedKey } from '../provider-keys/provider-key.vault';
import { BudgetHold, BudgetRepositories, costOf, estimateUsage, ModelPrice, reserveWithinBudget } from './budget';
import type { ModelPrices, PriceBook } from './price-book';
import type { UsageFlushQueue } from './usage-flush.queue';

export type { ModelPrices };

/** What a metered call needs; services build it once from what they inject. */
export interface MeteringDeps extends BudgetRepositories {
  db: DbService;
  usage: UsageRepository;
  vault: ProviderKeyVault;
  registry: ProviderRegistry;
  prices: PriceBook;
  /** How much a request reserves against budgets: output tokens when it sets no max_tokens, and for how long. */
  reservation: { defaultCompletionTokens: number; ttlMs: number };
  logger: Logger;
  metrics: Pick<ApiMetrics, 'observeLlmCall'>;
  /** The gateway's per-process cache (keys, whether a budget applies); used by calls opened with a generation. */
  cache?: GatewayCache;
  /** Where calls' usage is written (in batches); without one each call writes its own. */
  usageQueue?: UsageFlushQueue;
}

/** One provider call for a user, ready to send: the owner's key decrypted in memory for as long as the call. */
export interface MeteredCall {
  userId: string;
  projectId: string | null;
  source: 'chat' | 'gateway';
  provider: ChatProvider;
  providerId: ProviderId;
  model: string;
  key: ResolvedKey;
  /**
   * The budget admission made when the call was opened, for its first provider request (`reservation` null:
   * no budget applied). Later requests of the call (tool-loop turns) are admitted one by one.
   */
  admitted?: { reservation: string | null };
  /** The HTTP request's upstream clock (the LLM gateway reports its own latency as total minus upstream). */
  timing?: UpstreamTiming;
  /** The model name the client asked for, when the gateway's routing chose `providerId/model` for it. */
  requestedModel?: string | null;
  /** USD per million tokens, looked up when the call was opened; undefined: unpriced. */
  price?: ModelPrice;
}

export type CallRequest = Omit<ChatRequest, 'model'>;

type CallStatus = 'ok' | 'error' | 'aborted';

export function parsePrices(json: string): ModelPrices {
  return JSON.parse(json) as ModelPrices;
}

/**
 * Resolves `provider/model`, picks the key and admits the first request against the budgets (reserving what
 * it may spend), in one transaction (the per-call overhead of the gateway). Throws 4xx before anything is sent.
 * The caller sends the request through completeMetered/streamMetered, or ends the call with closeMetered.
 *
 * With `generation` (the gateway's, read for this request) the key and "no budget applies" come from the
 * gateway cache when it holds them for that generation; then no transaction runs at all. When a budget
 * applies the reservation is always taken in the database.
 */
export async function openMeteredCall(
  deps: MeteringDeps,
  call: {
    userId: string;
    projectId: string | null;
    modelRef: string;
    source: MeteredCall['source'];
    keyId?: string;
    request: CallRequest;
    timing?: UpstreamTiming;
    requestedModel?: string | null;
    generation?: string | null;
  },
): Promise<MeteredCall> {
  const ref = parseRef(call.modelRef);
  const opened = {
    userId: call.userId,
    projectId: call.projectId,
    source: call.source,
    provider: deps.registry.get(ref.provider),
    providerId: ref.provider,
    model: ref.model,
    timing: call.timing,
    requestedModel: call.requestedModel ?? null,
    // Before the transaction: a catalogue fetch must not hold a connection or the budget locks.
    price: await deps.prices.priceOf(ref.provider, ref.model),
  };
  const generation = deps.cache && call.keyId === undefined ? call.generation ?? null : null;
  const keyEntry = `${call.userId}:${ref.provider}`;
  const budgetEntry = `${call.userId}:${call.projectId ?? ''}`;
  const cachedKey = generation !== null ? deps.cache!.keys.get(keyEntry, generation) : undefined;
  if (cachedKey && deps.cache!.budgets.get(budgetEntry, generation!) === false) {
    return { ...opened, key: cachedKey, admitted: { reservation: null } };
  }
  const loadedAt = performance.now();
  return deps.db.withUser(call.userId, async (tx) => {
    const key = cachedKey ?? (await deps.vault.resolve(tx, ref.provider, call.keyId));
    // Last before commit: the budget rows stay locked for as short a time as possible.
    const reservation = await reserveWithinBudget(tx, deps, opened, holdFor(deps, opened, call.request));
    if (generation !== null) {
      if (!cachedKey) deps.cache!.keys.set(keyEntry, generation, key, loadedAt);
      // A reservation means a budget applies; none means none does (reserveWithinBudget returns null only then).
      deps.cache!.budgets.set(budgetEntry, generation, reservation !== null, loadedAt);
    }
    return { ...opened, key, admitted: { reservation } };
  });
}

/** Ends a call whose first request was never sent (e.g. the project's tools did not answer): frees its reservation. */
export async function closeMetered(deps: MeteringDeps, call: MeteredCall): Promise<void> {
  const reservation = call.admitted?.reservation;
  call.admitted = undefined;
  if (!reservation) return;
  await deps.db
    .withUser(call.userId, (tx) => deps.budgets.release(tx, reservation))
    .catch((err: Error) => deps.logger.error({ userId: call.userId, projectId: call.projectId, err: err.message }, 'reservation not released; it expires'));
}

export async function completeMetered(deps: MeteringDeps, call: MeteredCall, request: CallRequest, signal: AbortSignal): Promise<ChatResult> {
  const reservation = await admit(deps, call, request);
  const started = performance.now();
  try {
    const result = await call.provider.chat({ ...request, ...target(call), fetch: call.key.fetch?.buffered, signal });
    await record(deps, call, reservation, 'ok', result.usage, started);
    return result;
  } catch (err) {
    await record(deps, call, reservation, statusOf(err), { promptTokens: 0, completionTokens: 0 }, started, err);
    throw err;
  }
}

/** Streams the answer; usage is recorded when the stream ends, however it ends (done, error, client gone). */
export async function* streamMetered(deps: MeteringDeps, call: MeteredCall, request: CallRequest, signal: AbortSignal): AsyncGenerator<ChatStreamEvent> {
  const reservation = await admit(deps, call, request);
  const started = performance.now();
  let usage: Usage = { promptTokens: 0, completionTokens: 0 };
  let status: CallStatus = 'aborted';
  let failure: unknown;
  try {
    for await (const event of call.provider.streamChat({ ...request, ...target(call), fetch: call.key.fetch?.stream, signal })) {
      if (event.type === 'start' && event.promptTokens) usage = { ...usage, promptTokens: event.promptTokens };
      if (event.type === 'finish') {
        usage = event.usage;
        status = 'ok';
      }
      yield event;
    }
  } catch (err) {
    status = statusOf(err);
    failure = err;
    throw err;
  } finally {
    await record(deps, call, reservation, status, usage, started, failure);
  }
}

/** Where and with what a call's request goes; the gateway's pass-through sends it itself. */
export interface CallTarget {
  model: string;
  apiKey: string;
  baseUrl?: string;
  fetch?: typeof fetch;
}

/**
 * One request the gateway forwards in the upstream's own format (no neutral translation): admitted and
 * recorded like {@link completeMetered}; `send` returns the answer and the usage it carried.
 */
export async function forwardMetered<T>(
  deps: MeteringDeps,
  call: MeteredCall,
  request: CallRequest,
  send: (target: CallTarget) => Promise<{ value: T; usage: Usage }>,
): Promise<T> {
  const reservation = await admit(deps, call, request);
  const started = performance.now();
  try {
    const { value, usage } = await send({ ...target(call), fetch: call.key.fetch?.buffered });
    await record(deps, call, reservation, 'ok', usage, started);
    return value;
  } catch (err) {
    await record(deps, call, reservation, statusOf(err), { promptTokens: 0, completionTokens: 0 }, started, err);
    throw err;
  }
}

/**
 * {@link forwardMetered} for a stream: the upstream's events pass through untouched while `usageOf` reads them;
 * the usage seen so far is recorded however the stream ends.
 */
export async function* forwardStreamMetered<E>(
  deps: MeteringDeps,
  call: MeteredCall,
  request: CallRequest,
  open: (target: CallTarget) => AsyncIterable<E>,
  tracker: { push(event: E): void; readonly usage: Usage },
): AsyncGenerator<E> {
  const reservation = await admit(deps, call, request);
  const started = performance.now();
  let status: CallStatus = 'aborted';
  let failure: unknown;
  try {
    for await (const event of open({ ...target(call), fetch: call.key.fetch?.stream })) {
      tracker.push(event);
      yield event;
    }
    status = 'ok';
  } catch (err) {
    status = statusOf(err);
    failure = err;
    throw err;
  } finally {
    await record(deps, call, reservation, status, tracker.usage, started, failure);
  }
}

/** The provider and decrypted key for a request that is neither metered nor budgeted (token counting). */
export async function resolveUnmetered(
  deps: MeteringDeps,
  userId: string,
  modelRef: string,
  generation: string | null = null,
): Promise<{ provider: ChatProvider; target: CallTarget }> {
  const ref = parseRef(modelRef);
  const entry = `${userId}:${ref.provider}`;
  let key = generation !== null ? deps.cache?.keys.get(entry, generation) : undefined;
  if (!key) {
    const loadedAt = performance.now();
    key = await deps.db.withUser(userId, (tx) => deps.vault.resolve(tx, ref.provider, undefined));
    if (generation !== null) deps.cache?.keys.set(entry, generation, key, loadedAt);
  }
  return { provider: deps.registry.get(ref.provider), target: { model: ref.model, apiKey: key.apiKey, baseUrl: key.baseUrl, fetch: key.fetch?.buffered } };
}

function parseRef(modelRef: string): ReturnType<typeof parseModelRef> {
  try {
    return parseModelRef(modelRef);
  } catch {
    throw new DomainError(DomainErrorCode.INVALID, 'model must look like provider/model, e.g. openai/gpt-4o');
  }
}

function target(call: MeteredCall): { model: string; apiKey: string; baseUrl?: string } {
  return { model: call.model, apiKey: call.key.apiKey, baseUrl: call.key.baseUrl };
}

/**
 * Records one provider call and, in the same transaction, `release`s the reservation it held, so its budgets
 * count the real usage from then on. Failures here are logged, never turned into a failed response (an
 * unreleased reservation expires).
 */
export async function recordUsage(
  deps: Pick<MeteringDeps, 'db' | 'usage' | 'logger'>,
  u: UsageInput,
  release?: (tx: Tx) => Promise<void>,
): Promise<void> {
  await deps.db
    .withUser(u.userId, async (tx) => {
      await deps.usage.record(tx, u);
      await release?.(tx);
    })
    .catch((err: Error) => deps.logger.error({ userId: u.userId, projectId: u.projectId, err: err.message }, 'usage not recorded'));
}

/** The reservation for the call's next request: the one taken when it was opened, else a new admission. */
async function admit(deps: MeteringDeps, call: MeteredCall, request: CallRequest): Promise<string | null> {
  const opened = call.admitted;
  call.admitted = undefined;
  if (opened) return opened.reservation;
  return deps.db.withUser(call.userId, (tx) => reserveWithinBudget(tx, deps, call, holdFor(deps, call, request)));
}

function holdFor(deps: MeteringDeps, call: Pick<MeteredCall, 'price'>, request: CallRequest): BudgetHold {
  const estimate = estimateUsage(request, deps.reservation.defaultCompletionTokens);
  return {
    tokens: estimate.promptTokens + estimate.completionTokens,
    costUsd: costOf(call.price, estimate),
    expiresAt: new Date(Date.now() + deps.reservation.ttlMs),
  };
}

function record(
  deps: MeteringDeps,
  call: MeteredCall,
  reservation: string | null,
  status: CallStatus,
  usage: Usage,
  started: number,
  err?: unknown,
): Promise<void> {
  const upstreamMs = performance.now() - started;
  deps.metrics.observeLlmCall({ provider: call.providerId, source: call.source, outcome: status, upstreamMs });
  if (call.timing) {
    call.timing.provider = call.providerId;
    call.timing.calls += 1;
    call.timing.upstreamMs += upstreamMs;
  }
  const row: UsageInput = {
    userId: call.userId,
    projectId: call.projectId,
    keyId: call.key.keyId,
    source: call.source,
    provider: call.providerId,
    model: call.model,
    status,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    reasoningTokens: usage.reasoningTokens,
    cacheReadTokens: usage.cacheReadTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
    requestedModel: call.requestedModel ?? null,
    costUsd: costOf(call.price, usage),
    latencyMs: Math.round(upstreamMs),
    errorCode: isCallFailure(err) ? err.code : err ? 'INTERNAL' : null,
  };
  if (deps.usageQueue) {
    const written = deps.usageQueue.add(row, reservation);
    // A held reservation is settled before the response, as before (a budget's next admission sees the real
    // usage); without one the row is written off the response path.
    return reservation ? written : Promise.resolve();
  }
  return recordUsage(deps, row, reservation ? (tx) => deps.budgets.release(tx, reservation) : undefined);
}

function statusOf(err: unknown): 'error' | 'aborted' {
  return err instanceof ProviderError && err.code === ProviderErrorCode.ABORTED ? 'aborted' : 'error';
}
