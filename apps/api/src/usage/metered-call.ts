import type { Logger } from '@nestjs/common';
import type { DbService, UsageInput } from '@pantheon/db';
import {
  ChatProvider,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  formatModelRef,
  parseModelRef,
  ProviderError,
  ProviderErrorCode,
  ProviderId,
  ProviderRegistry,
  Usage,
} from '@pantheon/providers';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { isCallFailure } from '../common/error-map';
import type { ProviderKeyVault, ResolvedKey } from '../provider-keys/provider-key.vault';
import { assertWithinBudget, BudgetRepositories } from './budget';

export type ModelPrices = Record<string, { input: number; output: number }>;

/** What a metered call needs; services build it once from what they inject. */
export interface MeteringDeps extends BudgetRepositories {
  db: DbService;
  vault: ProviderKeyVault;
  registry: ProviderRegistry;
  prices: ModelPrices;
  logger: Logger;
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
}

export type CallRequest = Omit<ChatRequest, 'model'>;

type CallStatus = 'ok' | 'error' | 'aborted';

export function parsePrices(json: string): ModelPrices {
  return JSON.parse(json) as ModelPrices;
}

/**
 * Resolves `provider/model`, checks budgets and picks the key, in one transaction (the per-call overhead of
 * the gateway). Throws 4xx before anything is sent.
 */
export async function openMeteredCall(
  deps: MeteringDeps,
  call: { userId: string; projectId: string | null; modelRef: string; source: MeteredCall['source']; keyId?: string },
): Promise<MeteredCall> {
  let ref;
  try {
    ref = parseModelRef(call.modelRef);
  } catch {
    throw new DomainError(DomainErrorCode.INVALID, 'model must look like provider/model, e.g. openai/gpt-4o');
  }
  const key = await deps.db.withUser(call.userId, async (tx) => {
    await assertWithinBudget(tx, deps, call.userId, call.projectId);
    return deps.vault.resolve(tx, ref.provider, call.keyId);
  });
  return { userId: call.userId, projectId: call.projectId, source: call.source, provider: deps.registry.get(ref.provider), providerId: ref.provider, model: ref.model, key };
}

export async function completeMetered(deps: MeteringDeps, call: MeteredCall, request: CallRequest, signal: AbortSignal): Promise<ChatResult> {
  const started = Date.now();
  try {
    const result = await call.provider.chat({ ...request, ...target(call), fetch: call.key.fetch?.buffered, signal });
    await record(deps, call, 'ok', result.usage, started);
    return result;
  } catch (err) {
    await record(deps, call, statusOf(err), { promptTokens: 0, completionTokens: 0 }, started, err);
    throw err;
  }
}

/** Streams the answer; usage is recorded when the stream ends, however it ends (done, error, client gone). */
export async function* streamMetered(deps: MeteringDeps, call: MeteredCall, request: CallRequest, signal: AbortSignal): AsyncGenerator<ChatStreamEvent> {
  const started = Date.now();
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
    await record(deps, call, status, usage, started, failure);
  }
}

function target(call: MeteredCall): { model: string; apiKey: string; baseUrl?: string } {
  return { model: call.model, apiKey: call.key.apiKey, baseUrl: call.key.baseUrl };
}

/** Records one provider call; failures here are logged, never turned into a failed response. */
export async function recordUsage(deps: Pick<MeteringDeps, 'db' | 'usage' | 'logger'>, u: UsageInput): Promise<void> {
  await deps.db
    .withUser(u.userId, (tx) => deps.usage.record(tx, u))
    .catch((err: Error) => deps.logger.error({ userId: u.userId, projectId: u.projectId, err: err.message }, 'usage not recorded'));
}

function record(deps: MeteringDeps, call: MeteredCall, status: CallStatus, usage: Usage, started: number, err?: unknown): Promise<void> {
  const price = deps.prices[formatModelRef(call.providerId, call.model)];
  return recordUsage(deps, {
    userId: call.userId,
    projectId: call.projectId,
    keyId: call.key.keyId,
    source: call.source,
    provider: call.providerId,
    model: call.model,
    status,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    costUsd: price ? (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000 : null,
    latencyMs: Date.now() - started,
    errorCode: isCallFailure(err) ? err.code : err ? 'INTERNAL' : null,
  });
}

function statusOf(err: unknown): 'error' | 'aborted' {
  return err instanceof ProviderError && err.code === ProviderErrorCode.ABORTED ? 'aborted' : 'error';
}
