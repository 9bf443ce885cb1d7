import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sseFrame } from './sse';

describe('sseFrame', () => {
  it('frames JSON data with an optional event name', () => {
    assert.equal(sseFrame({ data: { a: 1 } }), 'data: {"a":1}\n\n');
    assert.equal(sseFrame({ event: 'delta', data: { text: 'hi' } }), 'event: delta\ndata: {"text":"hi"}\n\n');
  });

  it('sends raw data as it is (OpenAI end marker)', () => {
    assert.equal(sseFrame({ raw: '[DONE]' }), 'data: [DONE]\n\n');
  });

  it('keeps newlines inside data escaped, so one frame stays one frame', () => {
    assert.equal(sseFrame({ data: 'a\nb' }), 'data: "a\\nb"\n\n');
  });
});
