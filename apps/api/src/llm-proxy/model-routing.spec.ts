import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayRoutes, routeModel } from './model-routing';

const routes: GatewayRoutes = {
  defaultModel: 'openrouter/anthropic/claude-sonnet-4.5',
  reasoningModel: 'openrouter/deepseek/deepseek-r1',
  smallModel: 'openai/gpt-4o-mini',
  aliases: { 'claude-opus-4-1': 'anthropic/claude-opus-4-1', 'my-fast': 'google/gemini-2.5-flash', 'gpt-5': 'openai/gpt-5' },
};

describe('routeModel: requested name → provider/model', () => {
  const table: [string, boolean, GatewayRoutes | null, string | null, string | null][] = [
    // requested, thinking?, routes, expected ref, expected rule
    ['claude-opus-4-1', false, routes, 'anthropic/claude-opus-4-1', 'alias'],
    ['claude-opus-4-1-20250805', true, routes, 'anthropic/claude-opus-4-1', 'alias'],
    ['my-fast', true, routes, 'google/gemini-2.5-flash', 'alias'],
    ['gpt-5', false, routes, 'openai/gpt-5', 'alias'],
    ['claude-haiku-4-5-20251001', false, routes, 'openai/gpt-4o-mini', 'small'],
    ['claude-3-5-haiku-latest', true, routes, 'openai/gpt-4o-mini', 'small'],
    ['claude-sonnet-4-5-20250929', true, routes, 'openrouter/deepseek/deepseek-r1', 'reasoning'],
    ['claude-sonnet-4-5-20250929', false, routes, 'openrouter/anthropic/claude-sonnet-4.5', 'default'],
    ['gpt-4.1', false, routes, 'openrouter/anthropic/claude-sonnet-4.5', 'default'],
    ['openai/gpt-4o', true, routes, 'openai/gpt-4o', 'ref'],
    ['meta-llama/llama-3-70b', false, routes, 'meta-llama/llama-3-70b', 'ref'],
    ['anthropic/fake-echo', false, null, 'anthropic/fake-echo', 'ref'],
    ['claude-sonnet-4-5', false, null, null, null],
    ['claude-haiku-4-5', false, { ...routes, smallModel: null }, 'openrouter/anthropic/claude-sonnet-4.5', 'default'],
    ['claude-sonnet-4-5', true, { ...routes, reasoningModel: null }, 'openrouter/anthropic/claude-sonnet-4.5', 'default'],
    ['claude-sonnet-4-5', false, { defaultModel: null, reasoningModel: 'openai/o3', smallModel: null, aliases: {} }, null, null],
    ['toString', false, { ...routes, defaultModel: null }, null, null],
  ];
  for (const [requested, reasoning, r, ref, rule] of table) {
    it(`${requested}${reasoning ? ' (thinking)' : ''}${r ? '' : ' without routes'} → ${ref ?? 'nothing'}`, () => {
      const decision = routeModel(requested, r, { reasoning });
      assert.deepEqual(decision, ref === null ? null : { ref, rule });
    });
  }
});
