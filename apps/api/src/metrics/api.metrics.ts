import { Injectable } from '@nestjs/common';
import { DbService } from '@pantheon/db';
import { Counter, Gauge, Histogram, MetricsRegistry, watchDbPool } from '@pantheon/metrics';

/** How a provider call ended, as usage records it. */
export type LlmCallOutcome = 'ok' | 'error' | 'aborted';

/**
 * The API's metric families, defined once. Labels are bounded by code (route templates, provider ids,
 * outcomes): no ids, raw URLs, users or secrets ever become a label value.
 */
@Injectable()
export class ApiMetrics {
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly socketConnections: Gauge<'namespace'>;
  readonly socketRefusals: Counter<'namespace'>;
  readonly llmCalls: Counter<'provider' | 'source' | 'outcome'>;
  readonly llmUpstreamDuration: Histogram<'provider' | 'source' | 'outcome'>;
  readonly gatewayAddedDuration: Histogram<'provider' | 'route'>;

  constructor(registry: MetricsRegistry, db: DbService) {
    this.httpDuration = registry.histogram(
      'pantheon_http_request_duration_seconds',
      'HTTP requests by route template (unmatched = no route), method and status (499 = client went away first)',
      ['method', 'route', 'status'],
    );
    this.socketConnections = registry.gauge('pantheon_socket_connections', 'Authenticated socket.io connections open on this instance', ['namespace']);
    this.socketRefusals = registry.counter('pantheon_socket_handshakes_refused_total', 'socket.io handshakes refused (bad or missing token)', ['namespace']);
    this.llmCalls = registry.counter('pantheon_llm_calls_total', 'Provider calls (chat and LLM gateway) by provider and outcome', ['provider', 'source', 'outcome']);
    this.llmUpstreamDuration = registry.histogram(
      'pantheon_llm_upstream_duration_seconds',
      'Time spent waiting on the provider per call (a stream until its last chunk)',
      ['provider', 'source', 'outcome'],
    );
    this.gatewayAddedDuration = registry.histogram(
      'pantheon_llm_gateway_added_seconds',
      "The LLM gateway's own latency per request: total handler time minus the time spent upstream",
      ['provider', 'route'],
    );
    watchDbPool(registry, 'api', () => db.poolUsage());
  }

  observeLlmCall(call: { provider: string; source: string; outcome: LlmCallOutcome; upstreamMs: number }): void {
    const labels = { provider: call.provider, source: call.source, outcome: call.outcome };
    this.llmCalls.inc(labels);
    this.llmUpstreamDuration.observe(labels, call.upstreamMs / 1000);
  }
}
