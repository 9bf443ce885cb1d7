import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  neutralToResponsesResponse,
  OpenAICompatibleProvider,
  responsesRequestToNeutral,
  ResponsesRequest,
  responsesSseErrorFrame,
  responsesSseFrame,
  ResponsesStreamEncoder,
  AnthropicProvider,
  anthropicUsageToNeutral,
  AnthropicUsageTracker,
  SseFrame,
  AnthropicMessagesRequest,
  anthropicRequestToNeutral,
  anthropicSseErrorFrame,
  anthropicSseFrame,
  AnthropicStreamEncoder,
  ChatRequest,
  neutralToAnthropicResponse,
  neutralToOpenAIResponse,
  OPENAI_SSE_DONE,
  OpenAIChatRequest,
  openAIRequestToNeutral,
  openAISseErrorFrame,
  openAISseFrame,
  OpenAIStreamEncoder,
} from '@pantheon/providers';
import { ProjectGatewayRepository } from '@pantheon/db';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { isCallFailure, mapError } from '../common/error-map';
import type { JsonOrStream } from '../common/sse';
import type { UpstreamTiming } from '../metrics/upstream-timing';
import type { ProjectPrincipal } from '../project-tokens/project-token.guard';
import { estimateUsage } from '../usage/budget';
import {
  CallRequest,
  CallTarget,
  closeMetered,
  completeMetered,
  forwardMetered,
  forwardStreamMetered,
  MeteredCall,
  MeteringDeps,
  openMeteredCall,
  resolveUnmetered,
  streamMetered,
} from '../usage/metered-call';
import { anthropicErrorType } from './llm-proxy-exception.filter';
import { GatewayRoutes, routeModel } from './model-routing';
import { METERING } from '../usage/metering.provider';

/** One name the gateway's model list offers. */
export interface GatewayModelEntry {
  id: string;
  name: string;
  /** `alias`, `route` (a routing-table target) or the provider id. */
  ownedBy: string;
}

/** What an Anthropic client sent besides its body that an Anthropic upstream must see too. */
export interface AnthropicClientContext {
  /** `anthropic-version` and `anthropic-beta`, when the client sent them. */
  headers: Record<string, string>;
  /** `beta=true` and the like. */
  query: Record<string, string>;
}

/**
 * Serves either wire format from any provider: the request is translated to the neutral model, sent with the
 * project owner's key as a metered call (budgets, usage), and the answer translated back — so a tool that
 * speaks only Anthropic's API can use an OpenAI-format model and vice versa.
 */
@Injectable()
export class LlmProxyService {
  private readonly logger = new Logger('LlmProxyService');

  constructor(
    @Inject(METERING) private readonly metering: MeteringDeps,
    private readonly routes: ProjectGatewayRepository,
  ) {}

  /**
   * The names a project's clients can ask for: its aliases and routed names (each served by what it routes to),
   * then every model of the owner as `provider/model`.
   */
  async modelsFor(p: ProjectPrincipal, ownerModels: () => Promise<{ id: string; provider: string; name?: string | null }[]>): Promise<GatewayModelEntry[]> {
    const routes = await this.routesOf(p);
    const entries: GatewayModelEntry[] = [];
    for (const [name, ref] of Object.entries(routes?.aliases ?? {})) entries.push({ id: name, name: `${name} → ${ref}`, ownedBy: 'alias' });
    const named: [string, string | null | undefined][] = [['default', routes?.defaultModel], ['reasoning', routes?.reasoningModel], ['small', routes?.smallModel]];
    for (const [role, ref] of named) if (ref) entries.push({ id: ref, name: `${role} model (${ref})`, ownedBy: 'route' });
    const seen = new Set(entries.map((e) => e.id));
    for (const m of await ownerModels()) if (!seen.has(m.id)) entries.push({ id: m.id, name: m.name ?? m.id, ownedBy: m.provider });
    return entries;
  }

  /** The project's routing table (from the gateway cache when it holds it for the request's generation). */
  private async routesOf(p: ProjectPrincipal): Promise<GatewayRoutes | null> {
    const cache = this.metering.cache;
    const cached = cache && p.generation !== null ? cache.routes.get(p.projectId, p.generation) : undefined;
    if (cached !== undefined) return cached;
    const loadedAt = performance.now();
    const found = await this.metering.db.withUser(p.userId, (tx) => this.routes.find(tx, p.projectId));
    const routes = found && { defaultModel: found.defaultModel, reasoningModel: found.reasoningModel, smallModel: found.smallModel, aliases: found.aliases };
    if (cache && p.generation !== null) cache.routes.set(p.projectId, p.generation, routes, loadedAt);
    return routes;
  }

  /**
   * The project's routing decision for the model a client named (see routeModel); 404 when nothing serves it.
   * `requestedModel` is what usage records beside the model that served the call.
   */
  private async route(p: ProjectPrincipal, requested: string, request: CallRequest): Promise<{ modelRef: string; requestedModel: string | null }> {
    const routes = await this.routesOf(p);
    const decision = routeModel(requested, routes, { reasoning: request.reasoning !== undefined });
    if (!decision) {
      throw new DomainError(
        DomainErrorCode.NOT_FOUND,
        `No model serves ${JSON.stringify(requested.slice(0, 200))} in this project: name one as provider/model, or set default_model or an alias with PUT /api/projects/${p.projectId}/gateway`,
      );
    }
    return { modelRef: decision.ref, requestedModel: decision.rule === 'ref' ? null : requested };
  }

  async openAIChat(p: ProjectPrincipal, body: unknown, signal: AbortSignal, timing?: UpstreamTiming): Promise<JsonOrStream<unknown>> {
    const raw = body as OpenAIChatRequest & { stream?: boolean; stream_options?: { include_usage?: boolean } };
    const { model, request } = splitModel(openAIRequestToNeutral(raw));
    const { modelRef, requestedModel } = await this.route(p, model, request);
    const call = await openMeteredCall(this.metering, { userId: p.userId, projectId: p.projectId, modelRef, requestedModel, source: 'gateway', request, timing, generation: p.generation });
    if (raw.stream !== true) {
      return { json: neutralToOpenAIResponse(await completeMetered(this.metering, call, request, signal), { model }) };
    }
    const encoder = new OpenAIStreamEncoder({ model, includeUsage: raw.stream_options?.include_usage === true });
    const events = streamMetered(this.metering, call, request, signal);
    return {
      stream: (async function* () {
        for await (const event of events) for (const chunk of encoder.push(event)) yield openAISseFrame(chunk);
        yield OPENAI_SSE_DONE;
      })(),
      errorFrame: (err) => {
        this.logStreamFailure(p, err);
        return openAISseErrorFrame(mapError(err).message);
      },
    };
  }

  /**
   * Anthropic Messages as current clients send them. To an Anthropic upstream the client's body goes as it is
   * (only `model` replaced), so thinking signatures, cache_control, betas and unknown fields survive; to any
   * other family it is translated through the neutral model (see anthropicRequestToNeutral for what is dropped).
   */
  async anthropicMessages(
    p: ProjectPrincipal,
    body: unknown,
    client: AnthropicClientContext,
    signal: AbortSignal,
    timing?: UpstreamTiming,
  ): Promise<JsonOrStream<unknown>> {
    const raw = body as AnthropicMessagesRequest & { stream?: boolean };
    const { model, request } = splitModel(anthropicRequestToNeutral(raw));
    const { modelRef, requestedModel } = await this.route(p, model, request);
    const call = await openMeteredCall(this.metering, { userId: p.userId, projectId: p.projectId, modelRef, requestedModel, source: 'gateway', request, timing, generation: p.generation });
    if (call.provider instanceof AnthropicProvider) return this.forwardAnthropic(p, call.provider, call, raw, request, client, signal);
    if (raw.stream !== true) {
      return { json: neutralToAnthropicResponse(await completeMetered(this.metering, call, request, signal), { model }) };
    }
    const encoder = new AnthropicStreamEncoder({ model });
    const events = streamMetered(this.metering, call, request, signal);
    return {
      stream: (async function* () {
        for await (const event of events) for (const e of encoder.push(event)) yield anthropicSseFrame(e);
      })(),
      errorFrame: (err) => this.anthropicErrorFrame(p, err),
    };
  }

  /** The OpenAI Responses API, translated through the neutral model (any family serves it; nothing is stored). */
  async openAIResponses(p: ProjectPrincipal, body: unknown, signal: AbortSignal, timing?: UpstreamTiming): Promise<JsonOrStream<unknown>> {
    const raw = body as ResponsesRequest;
    const { model, request } = splitModel(responsesRequestToNeutral(raw));
    const { modelRef, requestedModel } = await this.route(p, model, request);
    const call = await openMeteredCall(this.metering, { userId: p.userId, projectId: p.projectId, modelRef, requestedModel, source: 'gateway', request, timing, generation: p.generation });
    const echo = { model, request: raw };
    if (raw.stream !== true) return { json: neutralToResponsesResponse(await completeMetered(this.metering, call, request, signal), echo) };
    const encoder = new ResponsesStreamEncoder(echo);
    const events = streamMetered(this.metering, call, request, signal);
    return {
      stream: (async function* () {
        for await (const event of events) for (const e of encoder.push(event)) yield responsesSseFrame(e);
      })(),
      errorFrame: (err) => {
        this.logStreamFailure(p, err);
        return responsesSseErrorFrame(mapError(err).message);
      },
    };
  }

  /**
   * `POST /v1/embeddings`, passed through to an OpenAI-format provider (only `model` swapped). Routing applies
   * aliases and `provider/model` refs only: the chat routes name chat models.
   */
  async openAIEmbeddings(p: ProjectPrincipal, body: unknown, signal: AbortSignal, timing?: UpstreamTiming): Promise<unknown> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new DomainError(DomainErrorCode.INVALID, 'the request body must be an object');
    const raw = body as Record<string, unknown>;
    if (typeof raw.model !== 'string' || !raw.model) throw new DomainError(DomainErrorCode.INVALID, 'model must be a non-empty string');
    if (raw.input === undefined) throw new DomainError(DomainErrorCode.INVALID, 'input is required');
    const routes = await this.routesOf(p);
    const decision = routeModel(raw.model, routes ? { ...routes, defaultModel: null, reasoningModel: null, smallModel: null } : null, { reasoning: false });
    if (!decision) throw new DomainError(DomainErrorCode.NOT_FOUND, `No embedding model serves ${JSON.stringify(raw.model.slice(0, 200))}: name one as provider/model or add an alias`);
    // Held against budgets like a prompt of the input's size.
    const request: CallRequest = { messages: [{ role: 'user', content: JSON.stringify(raw.input) }], parameters: { max_tokens: 0 } };
    const call = await openMeteredCall(this.metering, {
      userId: p.userId, projectId: p.projectId, modelRef: decision.ref, requestedModel: decision.rule === 'ref' ? null : raw.model, source: 'gateway', request, timing, generation: p.generation,
    });
    const provider = call.provider;
    if (!(provider instanceof OpenAICompatibleProvider)) {
      await closeMetered(this.metering, call);
      throw new DomainError(DomainErrorCode.INVALID, `${call.providerId} has no OpenAI-format embeddings endpoint; use an OpenAI-compatible provider`);
    }
    return forwardMetered(this.metering, call, request, async (target) => {
      const answer = await provider.embeddings({ ...target, body: raw, signal });
      return { value: answer, usage: { promptTokens: answer.usage?.prompt_tokens ?? 0, completionTokens: 0 } };
    });
  }

  /** `POST /v1/messages/count_tokens`: Anthropic upstreams count; for the others it is an estimate. */
  async anthropicCountTokens(p: ProjectPrincipal, body: unknown, client: AnthropicClientContext, signal: AbortSignal): Promise<{ input_tokens: number }> {
    const raw = body as AnthropicMessagesRequest;
    // count_tokens takes no max_tokens; the neutral request wants one.
    const { model, request } = splitModel(anthropicRequestToNeutral({ ...raw, max_tokens: 1 }));
    const { modelRef } = await this.route(p, model, request);
    const { provider, target } = await resolveUnmetered(this.metering, p.userId, modelRef, p.generation);
    if (provider instanceof AnthropicProvider) {
      const { input_tokens } = await provider.countTokens({ ...target, body: raw as unknown as Record<string, unknown>, headers: client.headers, query: client.query, signal });
      return { input_tokens };
    }
    return { input_tokens: estimateUsage(request, 0).promptTokens };
  }

  private forwardAnthropic(
    p: ProjectPrincipal,
    provider: AnthropicProvider,
    call: MeteredCall,
    raw: AnthropicMessagesRequest & { stream?: boolean },
    request: CallRequest,
    client: AnthropicClientContext,
    signal: AbortSignal,
  ): Promise<JsonOrStream<unknown>> | JsonOrStream<unknown> {
    const body = raw as unknown as Record<string, unknown>;
    const params = (target: CallTarget) => ({ ...target, body, headers: client.headers, query: client.query, signal });
    // The answer names the model the client asked for, as translated answers do, not the one routing chose.
    const requested = raw.model;
    if (raw.stream !== true) {
      return forwardMetered(this.metering, call, request, async (target) => {
        const message = await provider.forwardMessages(params(target));
        return { value: message, usage: anthropicUsageToNeutral(message.usage) };
      }).then((json) => ({ json: { ...json, model: requested } }));
    }
    const events = forwardStreamMetered(this.metering, call, request, (target) => provider.streamForwardMessages(params(target)), new AnthropicUsageTracker());
    return {
      stream: (async function* () {
        for await (const event of events) {
          const renamed = event.type === 'message_start' && isRecord(event.message) ? { ...event, message: { ...event.message, model: requested } } : event;
          yield { event: event.type, data: renamed };
        }
      })(),
      errorFrame: (err) => this.anthropicErrorFrame(p, err),
    };
  }

  private anthropicErrorFrame(p: ProjectPrincipal, err: unknown): SseFrame {
    this.logStreamFailure(p, err);
    const mapped = mapError(err);
    return anthropicSseErrorFrame(mapped.status >= 500 ? 'api_error' : anthropicErrorType(mapped.status), mapped.message);
  }

  private logStreamFailure(p: ProjectPrincipal, err: unknown): void {
    if (isCallFailure(err)) return;
    this.logger.error({ userId: p.userId, projectId: p.projectId, err: (err as Error).message }, 'gateway stream failed');
  }
}

function splitModel(request: ChatRequest): { model: string; request: Omit<ChatRequest, 'model'> } {
  const { model, ...rest } = request;
  return { model, request: rest };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
