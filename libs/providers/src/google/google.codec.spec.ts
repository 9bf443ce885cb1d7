import { GenerateContentResponse } from '@google/genai';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { googleFinishToStopReason, GoogleResponseDecoder, toGoogleRequest } from './google.codec';
import type { ChatParams } from '../provider';
import { ProviderError, ProviderErrorCode } from '../provider.errors';

const base: Omit<ChatParams, 'messages'> = { apiKey: 'k', model: 'gemini-2.5-flash', parameters: {} };

function response(fields: Partial<GenerateContentResponse>): GenerateContentResponse {
  return Object.assign(new GenerateContentResponse(), fields);
}

describe('toGoogleRequest', () => {
  it('moves system text to systemInstruction, names roles user/model and sends tool results as functionResponse', () => {
    const request = toGoogleRequest({
      ...base,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', signature: 'sig-1' }],
        },
        { role: 'tool', toolCallId: 'call_1', content: 'sunny' },
        { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: 'failed', isError: true },
      ],
      tools: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      toolChoice: { name: 'get_weather' },
      parameters: { temperature: 0.4, max_tokens: 100, top_p: 0.9, top_k: 5, stop: ['x'], seed: 1, repetition_penalty: 1.3 },
    });
    assert.equal(request.model, 'gemini-2.5-flash');
    assert.deepEqual(request.contents, [
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      { role: 'model', parts: [{ functionCall: { id: 'call_1', name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-1' }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: 'call_1', name: 'get_weather', response: { output: 'sunny' } } },
          { functionResponse: { id: 'call_1', name: 'get_weather', response: { error: 'failed' } } },
        ],
      },
    ]);
    const config = request.config!;
    assert.equal(config.systemInstruction, 'Be brief.');
    assert.deepEqual(
      [config.temperature, config.maxOutputTokens, config.topP, config.topK, config.stopSequences, config.seed],
      [0.4, 100, 0.9, 5, ['x'], 1],
    );
    assert.deepEqual(config.tools, [
      { functionDeclarations: [{ name: 'get_weather', description: 'Weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } } }] },
    ]);
    assert.deepEqual(config.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    assert.equal(config.automaticContinuation, false, 'follow-up requests are the caller’s choice');
  });

  it('cannot answer a tool call it has no name for', () => {
    assert.throws(
      () => toGoogleRequest({ ...base, messages: [{ role: 'tool', toolCallId: 'ghost', content: 'x' }] }),
      (e: unknown) => e instanceof ProviderError && e.code === ProviderErrorCode.BAD_REQUEST,
    );
  });
});

describe('GoogleResponseDecoder', () => {
  it('streams text pieces, emits each whole function call, skips thoughts and takes usage from the last chunk', () => {
    const decoder = new GoogleResponseDecoder('gemini-2.5-flash');
    const events = [
      ...decoder.push(response({ responseId: 'r1', modelVersion: 'gemini-2.5-flash-001', candidates: [{ content: { role: 'model', parts: [{ text: 'thinking…', thought: true }, { text: 'Hel' }] } }] })),
      ...decoder.push(response({ candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] } }] })),
      ...decoder.push(
        response({
          candidates: [
            {
              content: { role: 'model', parts: [{ functionCall: { id: 'fc1', name: 'get_weather', args: { city: 'Rome' } }, thoughtSignature: 'sig' }] },
              finishReason: 'STOP' as never,
            },
          ],
          usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 3, thoughtsTokenCount: 2 },
        }),
      ),
      ...decoder.end(),
    ];
    assert.deepEqual(events, [
      { type: 'start', id: 'r1', model: 'gemini-2.5-flash-001' },
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo' },
      { type: 'tool_call_start', index: 0, id: 'fc1', name: 'get_weather', signature: 'sig' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":"Rome"}' },
      { type: 'finish', stopReason: 'tool_calls', usage: { promptTokens: 7, completionTokens: 5, reasoningTokens: 2 }, model: 'gemini-2.5-flash-001' },
    ]);
    assert.deepEqual(decoder.result(), {
      id: 'r1',
      text: 'Hello',
      toolCalls: [{ id: 'fc1', name: 'get_weather', arguments: '{"city":"Rome"}', signature: 'sig' }],
      stopReason: 'tool_calls',
      usage: { promptTokens: 7, completionTokens: 5, reasoningTokens: 2 },
      model: 'gemini-2.5-flash-001',
    });
  });

  it('gives id-less function calls an id and reads a blocked prompt as an error stop', () => {
    const decoder = new GoogleResponseDecoder('m');
    decoder.push(response({ candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} } }] } }] }));
    assert.match(decoder.result().toolCalls[0]?.id ?? '', /^call_[0-9a-f]+$/);
    const blocked = new GoogleResponseDecoder('m');
    blocked.push(response({ promptFeedback: { blockReason: 'SAFETY' as never } }));
    assert.equal(blocked.result().stopReason, 'error');
  });

  it('maps finish reasons', () => {
    assert.equal(googleFinishToStopReason('STOP', false), 'end');
    assert.equal(googleFinishToStopReason('STOP', true), 'tool_calls');
    assert.equal(googleFinishToStopReason('MAX_TOKENS', false), 'length');
    assert.equal(googleFinishToStopReason('SAFETY', false), 'error');
    assert.equal(googleFinishToStopReason('MALFORMED_FUNCTION_CALL', true), 'error');
    assert.equal(googleFinishToStopReason(undefined, false), 'end');
  });
});
