import type { ProjectGatewayRecord } from '@pantheon/db';

/** A project's routing table, as the gateway reads it. Model fields are `provider/model` refs. */
export type GatewayRoutes = Pick<ProjectGatewayRecord, 'defaultModel' | 'reasoningModel' | 'smallModel' | 'aliases'>;

/** Why a requested name went where it went (recorded with the call's usage). */
export type RouteRule = 'alias' | 'small' | 'reasoning' | 'default' | 'ref';

export interface RouteDecision {
  /** The `provider/model` ref that serves the request. */
  ref: string;
  rule: RouteRule;
}

/** Claude Code's background model (titles, summaries) and its kin: served by `small_model` when one is set. */
const SMALL_CLASS = /haiku/i;
/** Anthropic's dated ids (`claude-sonnet-4-5-20250929`) match an alias written without the date. */
const DATE_SUFFIX = /-\d{8}$/;

/**
 * Resolves the model a client asked for, in this order: an alias (exact, or without a date suffix); then, for
 * a bare name (no `/`), `small_model` for haiku-class names, `reasoning_model` when the request asks for
 * thinking, `default_model`. A name with a `/` (`openai/gpt-4o`, `meta-llama/llama-3-70b`) is a model ref and
 * passes as it is. Null: nothing serves it (the gateway answers 404 in the client's format).
 */
export function routeModel(requested: string, routes: GatewayRoutes | null, hints: { reasoning: boolean }): RouteDecision | null {
  const name = requested.trim();
  const aliases = routes?.aliases ?? {};
  const lookup = (key: string) => (Object.prototype.hasOwnProperty.call(aliases, key) ? aliases[key] : undefined);
  const alias = lookup(name) ?? lookup(name.replace(DATE_SUFFIX, ''));
  if (alias) return { ref: alias, rule: 'alias' };
  if (name.includes('/')) return { ref: name, rule: 'ref' };
  if (SMALL_CLASS.test(name) && routes?.smallModel) return { ref: routes.smallModel, rule: 'small' };
  if (hints.reasoning && routes?.reasoningModel) return { ref: routes.reasoningModel, rule: 'reasoning' };
  if (routes?.defaultModel) return { ref: routes.defaultModel, rule: 'default' };
  return null;
}
