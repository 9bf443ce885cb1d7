/**
 * What tests and benchmarks may use of the API app, in one place (they never import its files by path).
 */
import type { INestApplication } from '@nestjs/common';
import { DbService, ProviderKeyRepository } from '@pantheon/db';
import { MetricsEndpoint } from '@pantheon/metrics';
import { DomainError } from './common/domain.error';
import { ProviderKeyVault } from './provider-keys/provider-key.vault';
import { UsageFlushQueue } from './usage/usage-flush.queue';
import { ViewerSocketRelay } from './viewer/viewer-socket.relay';

export { createApp, CreateAppOptions } from './app.factory';
export { runApi } from './cluster';
export { RedisThrottlerStorage } from './common/throttler-storage';
export { McpToolSource } from './chat/mcp-tool-source';
export { runToolLoop, ToolLoopResult, ToolSource } from './chat/tool-loop';

/** Decrypts a stored key the way a provider call would, to prove what the vault holds. */
export function revealProviderKey(app: INestApplication, userId: string, keyId: string): Promise<string> {
  const vault = app.get(ProviderKeyVault);
  const keys = app.get(ProviderKeyRepository);
  return app.get(DbService).withUser(userId, async (tx) => {
    const record = await keys.findById(tx, keyId);
    if (!record) throw DomainError.notFound('API key');
    return vault.open(record);
  });
}

/** Input messages of view-only viewers the app's relay has dropped so far. */
export function viewerDroppedInput(app: INestApplication): number {
  return app.get(ViewerSocketRelay).droppedInputCount;
}

/** Where the app's internal /metrics listener is (METRICS_PORT=0 in tests picks a free port). */
export function metricsUrl(app: INestApplication): string {
  const address = app.get(MetricsEndpoint).address();
  if (!address) throw new Error('the metrics endpoint is not listening: init the app first');
  return `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}/metrics`;
}

/**
 * Writes the usage rows the app has queued (metered calls write theirs in batches, off the response path) and
 * resolves once they are in the database: read usage_events after this, never after a sleep.
 */
export function flushUsage(app: INestApplication): Promise<void> {
  return app.get(UsageFlushQueue).flush();
}
