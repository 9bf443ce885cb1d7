import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatStreamEvent } from '../wire/chat.model';
import { WireFormatError, WireFormatErrorCode } from '../wire/wire-format.error';
import { neutralToResponsesResponse, responsesRequestToNeutral, ResponsesStreamEncoder } from './openai-responses.codec';

describe('responsesRequestToNeutral', () => {
  it('translates instructions, messages, function calls and outputs, images; drops reasoning items and built-in tools', () => {
    const neutral = responsesRequestToNeutral({
      model: 'gpt-5',
      instructions: 'You are Codex.',
      input: [
        { role: 'developer', content: 'Use the shell.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'look ' }, { type: 'input_image', image_url: 'data:image/png;base64,AAA=' }] },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'opaque' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Running it.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'shell', arguments: '{"cmd":"ls"}' },
        { type: 'function_call', call_id: 'call_2', name: 'shell', arguments: '' },
        { type: 'function_call_output', call_id: 'call_1', output: 'a.ts' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'b.ts' }] },
      ],
      tools: [{ type: 'function', name: 'shell', description: 'run', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } }, { type: 'web_search' }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      max_output_tokens: 300,
      reasoning: { effort: 'high', summary: 'auto' },
      store: false,
      include: ['reasoning.encrypted_content'],
      text: { format: { type: 'text' } },
    });
    assert.deepEqual(neutral, {
      model: 'gpt-5',
      messages: [
        { role: 'system', content: 'You are Codex.' },
        { role: 'system', content: 'Use the shell.' },
        { role: 'user', content: 'look ', images: [{ mimeType: 'image/png', data: 'AAA=' }] },
        {
          role: 'assistant',
          content: 'Running it.',
          toolCalls: [
            { id: 'call_1', name: 'shell', arguments: '{"cmd":"ls"}' },
            { id: 'call_2', name: 'shell', arguments: '{}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', content: 'a.ts' },
        { role: 'tool', toolCallId: 'call_2', content: 'b.ts' },
      ],
      tools: [{ name: 'shell', description: 'run', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } }],
      toolChoice: 'required',
      parameters: { max_tokens: 300 },
      reasoning: { effort: 'high' },
      parallelToolCalls: false,
    });
    assert.deepEqual(responsesRequestToNeutral({ model: 'm', input: 'hi' }).messages, [{ role: 'user', content: 'hi' }]);
  });

  it('refuses what needs stored responses', () => {
    const unsupported = (e: unknown) => e instanceof WireFormatError && e.code === WireFormatErrorCode.UNSUPPORTED_CONTENT;
    assert.throws(() => responsesRequestToNeutral({ model: 'm', input: 'x', previous_response_id: 'resp_1' }), unsupported);
    assert.throws(() => responsesRequestToNeutral({ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] }), unsupported);
    assert.throws(() => responsesRequestToNeutral({ model: 'm' }), (e: unknown) => e instanceof WireFormatError && e.code === WireFormatErrorCode.INVALID_REQUEST);
  });
});

describe('Responses answers', () => {
  it('builds a response object with text, function calls, usage and the incomplete reason', () => {
    const r = neutralToResponsesResponse(
      { text: 'hi', toolCalls: [{ id: 'call_1', name: 'f', arguments: '{}' }], stopReason: 'length', usage: { promptTokens: 5, completionTokens: 2, reasoningTokens: 1, cacheReadTokens: 3 }, model: 'x' },
      { model: 'gpt-5', request: { model: 'gpt-5', temperature: 0.2 } },
    );
    assert.equal(r.object, 'response');
    assert.equal(r.status, 'incomplete');
    assert.deepEqual(r.incomplete_details, { reason: 'max_output_tokens' });
    assert.deepEqual(r.output.map((o) => o.type), ['message', 'function_call']);
    assert.deepEqual(r.usage, { input_tokens: 5, input_tokens_details: { cached_tokens: 3 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 7 });
    assert.equal(r.temperature, 0.2);
  });

  it('streams the event sequence clients expect, numbered, ending with response.completed', () => {
    const encoder = new ResponsesStreamEncoder({ model: 'gpt-5' });
    const input: ChatStreamEvent[] = [
      { type: 'start', model: 'x' },
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo' },
      { type: 'tool_call_start', index: 0, id: 'call_9', name: 'shell' },
      { type: 'tool_call_delta', index: 0, arguments: '{"cmd":' },
      { type: 'tool_call_delta', index: 0, arguments: '"ls"}' },
      { type: 'finish', stopReason: 'tool_calls', usage: { promptTokens: 4, completionTokens: 6 }, model: 'x' },
    ];
    const events = input.flatMap((e) => encoder.push(e));
    assert.deepEqual(events.map((e) => e.type), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
    const done = events[events.length - 1]!.response as { status: string; output: { type: string; arguments?: string; content?: { text: string }[] }[]; usage: { total_tokens: number } };
    assert.equal(done.status, 'completed');
    assert.equal(done.output[0]!.content![0]!.text, 'Hello');
    assert.equal(done.output[1]!.arguments, '{"cmd":"ls"}');
    assert.equal(done.usage.total_tokens, 10);
    // The created snapshot is not the object later events change.
    assert.deepEqual((events[0]!.response as { output: unknown[] }).output, []);
  });
});
