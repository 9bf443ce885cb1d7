import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatModelRef, parseModelRef } from './model-ref';
import { MODEL_REF_PATTERN, PROVIDER_IDS } from './provider-ids';
import { ProviderError, ProviderErrorCode } from './provider.errors';

describe('parseModelRef', () => {
  it('splits provider/model at the first slash', () => {
    assert.deepEqual(parseModelRef('anthropic/claude-sonnet-4'), { provider: 'anthropic', model: 'claude-sonnet-4' });
    assert.deepEqual(parseModelRef('google/gemini-2.5-pro'), { provider: 'google', model: 'gemini-2.5-pro' });
    assert.deepEqual(parseModelRef('xai/grok-4'), { provider: 'xai', model: 'grok-4' });
  });

  it("keeps the rest whole, so OpenRouter's and Together's vendor/model ids survive", () => {
    assert.deepEqual(parseModelRef('openrouter/openai/gpt-4o'), { provider: 'openrouter', model: 'openai/gpt-4o' });
    assert.deepEqual(parseModelRef('openrouter/anthropic/claude-3.5-sonnet:beta'), {
      provider: 'openrouter',
      model: 'anthropic/claude-3.5-sonnet:beta',
    });
    assert.deepEqual(parseModelRef('together/meta-llama/Llama-3.3-70B-Instruct-Turbo'), {
      provider: 'together',
      model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    });
  });

  it('sends bare ids, and ids whose first segment is not a provider, to OpenRouter unchanged', () => {
    assert.deepEqual(parseModelRef('gpt-4o'), { provider: 'openrouter', model: 'gpt-4o' });
    assert.deepEqual(parseModelRef('meta-llama/llama-3-70b'), { provider: 'openrouter', model: 'meta-llama/llama-3-70b' });
    assert.deepEqual(parseModelRef('Anthropic/claude'), { provider: 'openrouter', model: 'Anthropic/claude' });
  });

  it('accepts another default provider', () => {
    assert.deepEqual(parseModelRef('claude-sonnet-4', 'anthropic'), { provider: 'anthropic', model: 'claude-sonnet-4' });
  });

  it('rejects a reference without a model as BAD_REQUEST', () => {
    for (const ref of ['', '   ', 'anthropic/']) {
      assert.throws(
        () => parseModelRef(ref),
        (e: unknown) => e instanceof ProviderError && e.code === ProviderErrorCode.BAD_REQUEST,
        JSON.stringify(ref),
      );
    }
  });

  it('is the inverse of formatModelRef for every provider, and agrees with MODEL_REF_PATTERN', () => {
    for (const provider of PROVIDER_IDS) {
      const ref = formatModelRef(provider, 'vendor/some-model');
      assert.match(ref, MODEL_REF_PATTERN);
      assert.deepEqual(parseModelRef(ref), { provider, model: 'vendor/some-model' });
    }
  });
});
