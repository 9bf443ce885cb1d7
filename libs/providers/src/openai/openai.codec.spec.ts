import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest, ChatResult, ChatStreamEvent } from '../wire/chat.model';
import {
  neutralToOpenAIRequest,
  neutralToOpenAIResponse,
  openAIFinishToStopReason,
  openAIRequestToNeutral,
  openAIResponseToNeutral,
  OpenAIStreamDecoder,
  OpenAIStreamEncoder,
  stopReasonToOpenAIFinish,
} from './openai.codec';
import type { OpenAIChatChunk, OpenAIChatRequest } from './openai.types';
import { WireFormatError, WireFormatErrorCode } from '../wire/wire-format.error';

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

/** A conversation with every message kind: system, user, assistant tool call, tool result, follow-up. */
const toolConversation: OpenAIChatRequest = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Weather in Paris?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_abc', content: 'sunny, 21C' },
    { role: 'user', content: [{ type: 'text', text: 'And ' }, { type: 'text', text: 'tomorrow?' }] },
  ],
  tools: [weatherTool],
  tool_choice: 'auto',
  temperature: 0.5,
  max_tokens: 256,
  top_p: 0.9,
  stop: ['END'],
  seed: 7,
  user: 'user-1',
};

function formatError(code: WireFormatErrorCode) {
  return (error: unknown) => error instanceof WireFormatError && error.code === code;
}

describe('openAIRequestToNeutral', () => {
  it('maps every message kind, tools, tool choice and parameters', () => {
    const neutral = openAIRequestToNeutral(toolConversation);
    assert.deepEqual(neutral, {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { role: 'tool', toolCallId: 'call_abc', content: 'sunny, 21C' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ],
      toolChoice: 'auto',
      parameters: { temperature: 0.5, max_tokens: 256, top_p: 0.9, stop: ['END'], seed: 7 },
      user: 'user-1',
    } satisfies ChatRequest);
  });

  it('reads developer messages as system, a string stop as a list, and prefers max_completion_tokens', () => {
    const neutral = openAIRequestToNeutral({
      model: 'o3',
      messages: [
        { role: 'developer', content: 'rules' },
        { role: 'user', content: 'hi' },
      ],
      stop: 'STOP',
      max_tokens: 10,
      max_completion_tokens: 20,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    assert.deepEqual(neutral.messages[0], { role: 'system', content: 'rules' });
    assert.deepEqual(neutral.parameters, { stop: ['STOP'], max_tokens: 20 });
    assert.deepEqual(neutral.toolChoice, { name: 'get_weather' });
  });

  it('reads data: images and files, refers to URL images, and rejects audio and the legacy function role', () => {
    const image = {
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA=' } }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] }],
    };
    assert.deepEqual(openAIRequestToNeutral(image as never).messages, [{ role: 'user', content: 'see[image: https://x/y.png]', images: [{ mimeType: 'image/png', data: 'AAA=' }] }]);
    const audio = { model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x' } }] }] };
    assert.throws(() => openAIRequestToNeutral(audio as never), (error: unknown) => {
      assert.ok(formatError(WireFormatErrorCode.UNSUPPORTED_CONTENT)(error));
      assert.match((error as Error).message, /messages\[0\]\.content\[0\]/);
      return true;
    });
    const legacy = { model: 'm', messages: [{ role: 'function', name: 'f', content: 'x' }] };
    assert.throws(() => openAIRequestToNeutral(legacy as never), formatError(WireFormatErrorCode.UNSUPPORTED_CONTENT));
  });

  it('rejects malformed bodies as invalid requests', () => {
    assert.throws(() => openAIRequestToNeutral({ model: 'm' } as never), formatError(WireFormatErrorCode.INVALID_REQUEST));
    assert.throws(
      () => openAIRequestToNeutral({ model: '', messages: [] } as never),
      formatError(WireFormatErrorCode.INVALID_REQUEST),
    );
    assert.throws(
      () => openAIRequestToNeutral({ model: 'm', messages: [{ role: 'robot', content: 'x' }] } as never),
      formatError(WireFormatErrorCode.INVALID_REQUEST),
    );
    assert.throws(
      () => openAIRequestToNeutral({ model: 'm', messages: [], temperature: 'hot' } as never),
      formatError(WireFormatErrorCode.INVALID_REQUEST),
    );
  });
});

describe('neutralToOpenAIRequest', () => {
  it('round-trips an OpenAI request through the neutral model', () => {
    const back = neutralToOpenAIRequest(openAIRequestToNeutral(toolConversation));
    assert.deepEqual(back, {
      ...toolConversation,
      messages: [...toolConversation.messages.slice(0, 4), { role: 'user', content: 'And tomorrow?' }],
    });
  });

  it('asks for usage in streams and carries the non-OpenAI sampling parameters', () => {
    const body = neutralToOpenAIRequest(
      { model: 'm', messages: [{ role: 'user', content: 'x' }], parameters: { top_k: 40, repetition_penalty: 1.1 } },
      { stream: true },
    );
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.top_k, 40);
    assert.equal(body.repetition_penalty, 1.1);
  });
});

describe('responses', () => {
  const completion = {
    id: 'chatcmpl-1',
    object: 'chat.completion' as const,
    created: 1,
    model: 'gpt-4o',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          content: 'Let me check.',
          refusal: null,
          tool_calls: [{ id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
        },
        finish_reason: 'tool_calls' as const,
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
  };

  it('maps a completion to the neutral result', () => {
    assert.deepEqual(openAIResponseToNeutral(completion), {
      id: 'chatcmpl-1',
      text: 'Let me check.',
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      stopReason: 'tool_calls',
      usage: { promptTokens: 12, completionTokens: 5 },
      model: 'gpt-4o',
    } satisfies ChatResult);
  });

  it('round-trips a completion', () => {
    assert.deepEqual(neutralToOpenAIResponse(openAIResponseToNeutral(completion), { created: 1 }), completion);
  });

  it('uses null content beside tool calls and tolerates missing usage', () => {
    const result = neutralToOpenAIResponse(
      { text: '', toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }], stopReason: 'tool_calls', usage: { promptTokens: 0, completionTokens: 0 }, model: 'm' },
      { id: 'chatcmpl-x', created: 2 },
    );
    assert.equal(result.choices[0]?.message.content, null);
    assert.deepEqual(openAIResponseToNeutral({ choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }] }).usage, {
      promptTokens: 0,
      completionTokens: 0,
    });
  });

  it('maps finish reasons both ways', () => {
    assert.equal(openAIFinishToStopReason('stop'), 'end');
    assert.equal(openAIFinishToStopReason('length'), 'length');
    assert.equal(openAIFinishToStopReason('tool_calls'), 'tool_calls');
    assert.equal(openAIFinishToStopReason('function_call'), 'tool_calls');
    assert.equal(openAIFinishToStopReason('content_filter'), 'error');
    assert.equal(openAIFinishToStopReason('stop', true), 'tool_calls', 'stop beside tool calls (Gemini-compatible servers)');
    assert.equal(openAIFinishToStopReason(null), 'end');
    for (const reason of ['end', 'length', 'tool_calls', 'error'] as const) {
      assert.equal(openAIFinishToStopReason(stopReasonToOpenAIFinish(reason)), reason);
    }
  });
});

/** The chunk sequence OpenAI sends for a text-then-tool answer with include_usage. */
function openAIChunks(): OpenAIChatChunk[] {
  const base = { id: 'chatcmpl-s', object: 'chat.completion.chunk' as const, created: 3, model: 'gpt-4o' };
  const delta = (d: OpenAIChatChunk['choices'][number]['delta'], finish: OpenAIChatChunk['choices'][number]['finish_reason'] = null) => ({
    ...base,
    choices: [{ index: 0, delta: d, finish_reason: finish }],
  });
  return [
    delta({ role: 'assistant', content: '' }),
    delta({ content: 'Hel' }),
    delta({ content: 'lo' }),
    delta({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
    delta({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
    delta({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
    delta({}, 'tool_calls'),
    { ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } },
  ];
}

const expectedEvents: ChatStreamEvent[] = [
  { type: 'start', id: 'chatcmpl-s', model: 'gpt-4o' },
  { type: 'text_delta', text: 'Hel' },
  { type: 'text_delta', text: 'lo' },
  { type: 'tool_call_start', index: 0, id: 'call_1', name: 'get_weather' },
  { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
  { type: 'tool_call_delta', index: 0, arguments: '"Oslo"}' },
  { type: 'finish', stopReason: 'tool_calls', usage: { promptTokens: 9, completionTokens: 4 }, model: 'gpt-4o' },
];

describe('OpenAIStreamDecoder', () => {
  it('decodes text and tool-call deltas, with finish and usage from the end of the stream', () => {
    const decoder = new OpenAIStreamDecoder();
    const events = [...openAIChunks().flatMap((c) => decoder.push(c)), ...decoder.end()];
    assert.deepEqual(events, expectedEvents);
    assert.deepEqual(decoder.end(), [], 'finish only once');
  });

  it('numbers parallel tool calls by upstream index and copes with servers that omit the index', () => {
    const decoder = new OpenAIStreamDecoder();
    const events = [
      ...decoder.push({ id: 'x', model: 'm', choices: [{ delta: { tool_calls: [{ id: 'a', function: { name: 'f', arguments: '{}' } }] } }] }),
      ...decoder.push({ choices: [{ delta: { tool_calls: [{ id: 'b', function: { name: 'g', arguments: '{"k"' } }] } }] }),
      ...decoder.push({ choices: [{ delta: { tool_calls: [{ function: { arguments: ':1}' } }] }, finish_reason: 'stop' }] }),
      ...decoder.end(),
    ];
    assert.deepEqual(events, [
      { type: 'start', id: 'x', model: 'm' },
      { type: 'tool_call_start', index: 0, id: 'a', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{}' },
      { type: 'tool_call_start', index: 1, id: 'b', name: 'g' },
      { type: 'tool_call_delta', index: 1, arguments: '{"k"' },
      { type: 'tool_call_delta', index: 1, arguments: ':1}' },
      { type: 'finish', stopReason: 'tool_calls', usage: { promptTokens: 0, completionTokens: 0 }, model: 'm' },
    ]);
  });
});

describe('OpenAIStreamEncoder', () => {
  it('re-encodes the decoded events into the same chunk sequence', () => {
    const encoder = new OpenAIStreamEncoder({ id: 'chatcmpl-s', created: 3 });
    const chunks = expectedEvents.flatMap((e) => encoder.push(e));
    assert.deepEqual(chunks, openAIChunks());
  });

  it('leaves out the usage chunk when asked', () => {
    const encoder = new OpenAIStreamEncoder({ id: 'c', created: 1, includeUsage: false });
    const chunks = expectedEvents.flatMap((e) => encoder.push(e));
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'tool_calls');
    assert.ok(chunks.every((c) => c.usage === undefined));
  });
});
