import type { Logger } from '@nestjs/common';
import type { RedisJsonCache } from '@pantheon/events';
import { formatModelRef, OpenAICompatibleProvider, ProviderId, ProviderRegistry } from '@pantheon/providers';
import type { ModelPrice } from './budget';

export type ModelPrices = Record<string, ModelPrice>;

/** The price of a model: what an operator set in MODEL_PRICES, else what its provider's catalogue says. */
export interface PriceBook {
  /** USD per million tokens; undefined: unpriced (its calls are recorded without a cost). */
  priceOf(provider: ProviderId, model: string): Promise<ModelPrice | undefined>;
}

const OPENROUTER_PRICES_KEY = 'prices:openrouter';

/**
 * MODEL_PRICES first; for OpenRouter models it lacks, OpenRouter's public catalogue (its `pricing` per model),
 * cached in Redis for `ttlSeconds` and shared by every replica. A catalogue that cannot be read leaves the
 * model unpriced for this call (logged), never fails the call.
 */
export function priceBook(deps: { prices: ModelPrices; registry: ProviderRegistry; cache: RedisJsonCache; ttlSeconds: number; logger: Logger }): PriceBook {
  return {
    async priceOf(provider, model) {
      const fixed = deps.prices[formatModelRef(provider, model)];
      if (fixed || provider !== 'openrouter') return fixed;
      const adapter = deps.registry.get('openrouter');
      if (!(adapter instanceof OpenAICompatibleProvider)) return undefined;
      try {
        const catalogue = await deps.cache.getOrLoad<ModelPrices>(OPENROUTER_PRICES_KEY, deps.ttlSeconds, async () => {
          const prices: ModelPrices = {};
          for (const m of await adapter.publicModels()) if (m.pricing) prices[m.model] = m.pricing;
          return prices;
        });
        return Object.prototype.hasOwnProperty.call(catalogue, model) ? catalogue[model] : undefined;
      } catch (err) {
        deps.logger.warn({ provider, err: (err as Error).message }, 'OpenRouter prices unavailable; the call is recorded without a cost');
        return undefined;
      }
    },
  };
}
