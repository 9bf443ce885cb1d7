import Anthropic from '@anthropic-ai/sdk';
import { ApiError } from '@google/genai';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { mapAnthropicError } from './anthropic/anthropic.errors';
import { mapGoogleError } from './google/google.errors';
import { mapOpenAIError } from './openai/openai.errors';
import {
  ErrorContext,
  parseRetryAfter,
  ProviderError,
  ProviderErrorCode,
  sanitizeUpstreamMessage,
} from './provider.errors';

const KEY = `sk-live-${randomBytes(10).toString('hex')}XYZ`;
const ctx = (provider: ErrorContext['provider'], extra: Partial<ErrorContext> = {}): ErrorContext => ({
  provider,
  apiKey: KEY,
  operation: 'chat',
  model: 'some-model',
  ...extra,
});
const headers = (h: Record<string, string> = {}) => new Headers(h);

function expectCode(error: ProviderError, code: ProviderErrorCode, message?: RegExp): void {
  assert.ok(error instanceof ProviderError);
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  assert.ok(!error.message.includes(KEY), `key leaked: ${error.message}`);
  assert.ok(!/0123456789abcdef/.test(error.message), `key fragment leaked: ${error.message}`);
}

describe('mapOpenAIError (openai, openrouter, together, xai, custom)', () => {
  it('maps the SDK error classes to codes naming the provider', () => {
    expectCode(
      mapOpenAIError(new OpenAI.AuthenticationError(401, { message: `Incorrect API key provided: ${KEY}` }, undefined, headers()), ctx('openai')),
      ProviderErrorCode.INVALID_KEY,
      /^openai rejected the API key$/,
    );
    const limited = mapOpenAIError(
      new OpenAI.RateLimitError(429, { message: 'slow down' }, undefined, headers({ 'retry-after': '1' })),
      ctx('openrouter'),
    );
    expectCode(limited, ProviderErrorCode.RATE_LIMITED, /^openrouter rate limit reached; retry after 1 s$/);
    assert.equal(limited.retryAfterSeconds, 1);
    assert.equal(limited.retryable, true);
    expectCode(
      mapOpenAIError(new OpenAI.NotFoundError(404, { message: 'no such model' }, undefined, headers()), ctx('together')),
      ProviderErrorCode.MODEL_NOT_FOUND,
      /together does not know the model "some-model"/,
    );
    expectCode(
      mapOpenAIError(new OpenAI.InternalServerError(500, { message: 'boom' }, undefined, headers()), ctx('xai')),
      ProviderErrorCode.UPSTREAM_ERROR,
      /xai failed with status 500/,
    );
    expectCode(mapOpenAIError(new OpenAI.APIConnectionTimeoutError(), ctx('custom')), ProviderErrorCode.TIMEOUT, /custom/);
    expectCode(mapOpenAIError(new OpenAI.APIUserAbortError(), ctx('openai')), ProviderErrorCode.ABORTED);
    expectCode(
      mapOpenAIError(new OpenAI.APIConnectionError({ cause: new Error('ECONNREFUSED') }), ctx('openai')),
      ProviderErrorCode.UPSTREAM_ERROR,
      /could not reach openai/,
    );
    expectCode(
      mapOpenAIError(new OpenAI.PermissionDeniedError(403, { message: 'region' }, undefined, headers()), ctx('openai')),
      ProviderErrorCode.PERMISSION_DENIED,
    );
  });

  it('passes a short, scrubbed upstream explanation for bad requests', () => {
    const error = mapOpenAIError(
      new OpenAI.BadRequestError(400, { message: `max_tokens too large for key ${KEY} (sk-ab***XYZ9)` }, undefined, headers()),
      ctx('openai'),
    );
    expectCode(error, ProviderErrorCode.BAD_REQUEST, /^openai rejected the request: max_tokens too large/);
    assert.ok(!error.message.includes('sk-ab***'), error.message);
    const long = mapOpenAIError(new OpenAI.UnprocessableEntityError(422, { message: 'x'.repeat(5000) }, undefined, headers()), ctx('openai'));
    assert.ok(long.message.length < 300, `length ${long.message.length}`);
  });

  it('reads a 404 on the model list as a base-URL problem, not a missing model', () => {
    const error = mapOpenAIError(new OpenAI.NotFoundError(404, {}, undefined, headers()), ctx('custom', { operation: 'models' }));
    expectCode(error, ProviderErrorCode.UPSTREAM_ERROR, /base URL/);
  });

  it("maps OpenRouter's in-stream error by its code", () => {
    const error = mapOpenAIError(new OpenAI.APIError(undefined, { code: 429, message: 'Rate limited upstream' }, undefined, undefined), ctx('openrouter'));
    expectCode(error, ProviderErrorCode.RATE_LIMITED);
    const unknown = mapOpenAIError(new OpenAI.APIError(undefined, { message: 'provider crashed' }, undefined, undefined), ctx('openrouter'));
    expectCode(unknown, ProviderErrorCode.UPSTREAM_ERROR, /openrouter reported an error: provider crashed/);
  });

  it("lets the caller's abort and our deadline win over whatever the SDK reported", () => {
    const controller = new AbortController();
    controller.abort();
    expectCode(mapOpenAIError(new OpenAI.APIConnectionTimeoutError(), ctx('openai', { signal: controller.signal })), ProviderErrorCode.ABORTED);
    expectCode(mapOpenAIError(new OpenAI.APIUserAbortError(), ctx('openai', { timedOut: true })), ProviderErrorCode.TIMEOUT);
    expectCode(mapOpenAIError(new Error('stream aborted'), ctx('openai', { timedOut: true })), ProviderErrorCode.TIMEOUT);
  });

  it('wraps anything else without its message', () => {
    const error = mapOpenAIError(new Error(`weird failure with ${KEY}`), ctx('openai'));
    expectCode(error, ProviderErrorCode.UPSTREAM_ERROR, /^request to openai failed$/);
    const passthrough = new ProviderError(ProviderErrorCode.BAD_REQUEST, 'custom', 'custom needs a base URL');
    assert.equal(mapOpenAIError(passthrough, ctx('custom')), passthrough);
  });
});

describe('mapAnthropicError', () => {
  it('maps the SDK error classes', () => {
    const body = (type: string, message: string) => ({ type: 'error', error: { type, message } });
    expectCode(
      mapAnthropicError(new Anthropic.AuthenticationError(401, body('authentication_error', `invalid x-api-key ${KEY}`), undefined, headers()), ctx('anthropic')),
      ProviderErrorCode.INVALID_KEY,
      /^anthropic rejected the API key$/,
    );
    const limited = mapAnthropicError(
      new Anthropic.RateLimitError(429, body('rate_limit_error', 'slow'), undefined, headers({ 'retry-after': '12' })),
      ctx('anthropic'),
    );
    expectCode(limited, ProviderErrorCode.RATE_LIMITED, /retry after 12 s/);
    expectCode(
      mapAnthropicError(new Anthropic.NotFoundError(404, body('not_found_error', 'model: x'), undefined, headers()), ctx('anthropic')),
      ProviderErrorCode.MODEL_NOT_FOUND,
    );
    expectCode(
      mapAnthropicError(new Anthropic.OverloadedError(529, body('overloaded_error', 'Overloaded'), undefined, headers()), ctx('anthropic')),
      ProviderErrorCode.UPSTREAM_ERROR,
      /status 529/,
    );
    expectCode(
      mapAnthropicError(new Anthropic.BadRequestError(400, body('invalid_request_error', 'max_tokens: required'), undefined, headers()), ctx('anthropic')),
      ProviderErrorCode.BAD_REQUEST,
      /anthropic rejected the request: max_tokens: required/,
    );
    expectCode(
      mapAnthropicError(new Anthropic.PaymentRequiredError(402, body('billing_error', 'no credit'), undefined, headers()), ctx('anthropic')),
      ProviderErrorCode.INSUFFICIENT_CREDITS,
    );
    expectCode(mapAnthropicError(new Anthropic.APIConnectionTimeoutError(), ctx('anthropic')), ProviderErrorCode.TIMEOUT);
    expectCode(mapAnthropicError(new Anthropic.APIUserAbortError(), ctx('anthropic')), ProviderErrorCode.ABORTED);
    expectCode(mapAnthropicError(new Anthropic.APIConnectionError({}), ctx('anthropic')), ProviderErrorCode.UPSTREAM_ERROR, /could not reach/);
  });

  it('maps an error event inside a stream by its type', () => {
    const overloaded = new Anthropic.APIError(undefined, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, undefined, undefined);
    expectCode(mapAnthropicError(overloaded, ctx('anthropic')), ProviderErrorCode.UPSTREAM_ERROR);
    const limited = new Anthropic.APIError(undefined, { type: 'error', error: { type: 'rate_limit_error', message: 'slow' } }, undefined, undefined);
    expectCode(mapAnthropicError(limited, ctx('anthropic')), ProviderErrorCode.RATE_LIMITED);
  });
});

describe('mapGoogleError', () => {
  const apiError = (status: number, error: Record<string, unknown>) => new ApiError({ status, message: JSON.stringify({ error }) });

  it("reads Gemini's 400 API_KEY_INVALID as a rejected key", () => {
    const error = mapGoogleError(
      apiError(400, {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
      }),
      ctx('google'),
    );
    expectCode(error, ProviderErrorCode.INVALID_KEY, /^google rejected the API key$/);
  });

  it('maps status codes, with the retry delay from RetryInfo', () => {
    const limited = mapGoogleError(
      apiError(429, {
        code: 429,
        message: 'Resource has been exhausted',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '6.5s' }],
      }),
      ctx('google'),
    );
    expectCode(limited, ProviderErrorCode.RATE_LIMITED, /retry after 7 s/);
    expectCode(mapGoogleError(apiError(429, { code: 429 }), ctx('google')), ProviderErrorCode.RATE_LIMITED, /^google rate limit reached$/);
    expectCode(mapGoogleError(apiError(404, { code: 404, message: 'models/x is not found' }), ctx('google')), ProviderErrorCode.MODEL_NOT_FOUND);
    expectCode(mapGoogleError(apiError(500, { code: 500 }), ctx('google')), ProviderErrorCode.UPSTREAM_ERROR);
    expectCode(
      mapGoogleError(apiError(400, { code: 400, message: `bad field, key=${KEY}` }), ctx('google')),
      ProviderErrorCode.BAD_REQUEST,
      /bad field/,
    );
    expectCode(mapGoogleError(new ApiError({ status: 503, message: 'not json' }), ctx('google')), ProviderErrorCode.UPSTREAM_ERROR);
  });

  it('maps fetch failures and aborts, which the SDK does not wrap', () => {
    expectCode(mapGoogleError(new TypeError('fetch failed'), ctx('google')), ProviderErrorCode.UPSTREAM_ERROR, /could not reach google/);
    const abort = new DOMException('This operation was aborted', 'AbortError');
    expectCode(mapGoogleError(abort, ctx('google', { timedOut: true })), ProviderErrorCode.TIMEOUT);
    expectCode(mapGoogleError(abort, ctx('google')), ProviderErrorCode.ABORTED);
  });
});

describe('sanitizeUpstreamMessage', () => {
  it('redacts the key and key-shaped strings, collapses whitespace and truncates', () => {
    assert.equal(
      sanitizeUpstreamMessage(`bad\n\n key ${KEY} or sk-proj-AbC***xyz or AIzaSyA1234567890abcdef`, [KEY]),
      'bad key [REDACTED] or [REDACTED] or [REDACTED]',
    );
    assert.equal(sanitizeUpstreamMessage('   ', [KEY]), undefined);
    assert.equal(sanitizeUpstreamMessage({ message: 'x' }, [KEY]), undefined);
    assert.equal(sanitizeUpstreamMessage('y'.repeat(500), [KEY])?.length, 200);
  });
});

describe('parseRetryAfter', () => {
  it('reads retry-after-ms, delta seconds and HTTP dates, rounding up', () => {
    assert.equal(parseRetryAfter(headers({ 'retry-after-ms': '1500' })), 2);
    assert.equal(parseRetryAfter(headers({ 'retry-after': '3' })), 3);
    assert.equal(parseRetryAfter(headers({ 'retry-after': '0.2' })), 1);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now), 30);
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'soon' })), undefined);
    assert.equal(parseRetryAfter(headers()), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});
