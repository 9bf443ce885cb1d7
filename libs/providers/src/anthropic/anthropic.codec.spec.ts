import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest, ChatResult, ChatStreamEvent } from '../wire/chat.model';
import {
  anthropicRequestToNeutral,
  anthropicResponseToNeutral,
  anthropicStopToStopReason,
  AnthropicStreamDecoder,
  AnthropicStreamEncoder,
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  neutralToAnthropicRequest,
  neutralToAnthropicResponse,
  stopReasonToAnthropic,
} from './anthropic.codec';
import type { AnthropicMessage, AnthropicMessagesRequest, AnthropicStreamEvent } from './anthropic.types';
import { WireFormatError, WireFormatErrorCode } from '../wire/wire-format.error';

const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const toolConversation: AnthropicMessagesRequest = {
  model: 'claude-sonnet-4',
  system: 'You are terse.',
  max_tokens: 512,
  messages: [
    { role: 'user', content: 'Weather in Paris and Oslo?' },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking both.' },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Oslo' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'rain' }], is_error: true },
        { type: 'text', text: 'Summarise.' },
      ],
    },
  ],
  tools: [weatherTool],
  tool_choice: { type: 'any' },
  temperature: 0.3,
  top_p: 0.8,
  top_k: 20,
  stop_sequences: ['###'],
  metadata: { user_id: 'user-1' },
};

const neutralConversation: ChatRequest = {
  model: 'claude-sonnet-4',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Weather in Paris and Oslo?' },
    {
      role: 'assistant',
      content: 'Checking both.',
      toolCalls: [
        { id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'toolu_2', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      ],
    },
    { role: 'tool', toolCallId: 'toolu_1', content: 'sunny' },
    { role: 'tool', toolCallId: 'toolu_2', content: 'rain', isError: true },
    { role: 'user', content: 'Summarise.' },
  ],
  tools: [{ name: 'get_weather', description: 'Weather for a city', parameters: weatherTool.input_schema }],
  toolChoice: 'required',
  parameters: { temperature: 0.3, max_tokens: 512, top_p: 0.8, top_k: 20, stop: ['###'] },
  user: 'user-1',
};

describe('anthropicRequestToNeutral', () => {
  it('hoists system, splits tool results into tool messages and maps tools, choice and parameters', () => {
    assert.deepEqual(anthropicRequestToNeutral(toolConversation), neutralConversation);
  });

  it('drops reasoning blocks, server tools and their blocks on purpose; translates images and documents', () => {
    const withThinking = anthropicRequestToNeutral({
      model: 'm',
      max_tokens: 5,
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'xx' },
            { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} },
            { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
            { type: 'some_future_block' },
            { type: 'text', text: 'ok' },
          ],
        },
      ],
    } as never);
    assert.deepEqual(withThinking.messages, [{ role: 'assistant', content: 'ok' }]);

    const png = { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' };
    const media = anthropicRequestToNeutral({
      model: 'm',
      max_tokens: 5,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', source: png, cache_control: { type: 'ephemeral' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain doc' }, title: 'notes' },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
            { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'shot' }, { type: 'image', source: png }] },
          ],
        },
      ],
    } as never);
    assert.deepEqual(media.messages, [
      {
        role: 'user',
        content: 'look\nnotes\nplain doc\n[image: https://example.com/a.png]',
        images: [{ mimeType: 'image/png', data: 'iVBORw0KGgo=' }, { mimeType: 'application/pdf', data: 'JVBERi0=' }],
      },
      { role: 'tool', toolCallId: 't1', content: 'shot', images: [{ mimeType: 'image/png', data: 'iVBORw0KGgo=' }] },
    ]);

    const serverTool = {
      model: 'm',
      max_tokens: 5,
      messages: [],
      tools: [{ type: 'web_search_20250305', name: 'web_search' }, weatherTool],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    };
    const translated = anthropicRequestToNeutral(serverTool as never);
    assert.deepEqual(translated.tools?.map((t) => t.name), ['get_weather']);
    assert.equal(translated.toolChoice, 'required');
    assert.equal(translated.parallelToolCalls, false);
  });

  it('takes system blocks, system-role messages anywhere, thinking and effort; drops cache_control, context_management, output_config', () => {
    const neutral = anthropicRequestToNeutral({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: [
        { type: 'text', text: 'You are an agent.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Be brief.' },
      ],
      messages: [
        { role: 'user', content: 'one' },
        { role: 'system', content: [{ type: 'text', text: 'Now in plan mode.' }] },
        { role: 'user', content: 'two' },
      ],
      thinking: { type: 'adaptive' },
      output_config: { effort: 'high', format: { type: 'json_schema', schema: {} } },
      context_management: { edits: [{ type: 'clear_thinking_20251015' }] },
      metadata: { user_id: 'u-1' },
    } as never);
    assert.deepEqual(neutral, {
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'You are an agent.\nBe brief.' },
        { role: 'user', content: 'one' },
        { role: 'system', content: 'Now in plan mode.' },
        { role: 'user', content: 'two' },
      ],
      parameters: { max_tokens: 100 },
      user: 'u-1',
      reasoning: { effort: 'high' },
    });
    const budgeted = anthropicRequestToNeutral({ model: 'm', max_tokens: 9, messages: [], thinking: { type: 'enabled', budget_tokens: 2048 } } as never);
    assert.deepEqual(budgeted.reasoning, { budgetTokens: 2048 });
    const adaptive = anthropicRequestToNeutral({ model: 'm', max_tokens: 9, messages: [], thinking: { type: 'adaptive' } } as never);
    assert.deepEqual(adaptive.reasoning, { effort: 'adaptive' });
    assert.equal(anthropicRequestToNeutral({ model: 'm', max_tokens: 9, messages: [], thinking: { type: 'disabled' } } as never).reasoning, undefined);
    for (const [choice, expected] of [
      [{ type: 'auto' }, 'auto'],
      [{ type: 'any' }, 'required'],
      [{ type: 'none' }, 'none'],
      [{ type: 'tool', name: 'get_weather' }, { name: 'get_weather' }],
    ] as const) {
      const r = anthropicRequestToNeutral({ model: 'm', max_tokens: 9, messages: [], tools: [weatherTool], tool_choice: choice } as never);
      assert.deepEqual(r.toolChoice, expected);
    }
  });

  it('requires max_tokens and known roles', () => {
    assert.throws(
      () => anthropicRequestToNeutral({ model: 'm', messages: [] } as never),
      (e: unknown) => e instanceof WireFormatError && e.code === WireFormatErrorCode.INVALID_REQUEST,
    );
    assert.throws(
      () => anthropicRequestToNeutral({ model: 'm', max_tokens: 1, messages: [{ role: 'tool', content: 'x' }] } as never),
      (e: unknown) => e instanceof WireFormatError && e.code === WireFormatErrorCode.INVALID_REQUEST,
    );
  });
});

describe('neutralToAnthropicRequest', () => {
  it('round-trips an Anthropic request (tool results and the following text merge into one user turn)', () => {
    const back = neutralToAnthropicRequest(anthropicRequestToNeutral(toolConversation));
    assert.deepEqual(back, {
      ...toolConversation,
      messages: [
        toolConversation.messages[0],
        toolConversation.messages[1],
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'rain', is_error: true },
            { type: 'text', text: 'Summarise.' },
          ],
        },
      ],
    });
  });

  it('defaults max_tokens, clamps temperature to 1 and drops what Anthropic lacks', () => {
    const body = neutralToAnthropicRequest({
      model: 'm',
      messages: [
        { role: 'system', content: 'a' },
        { role: 'system', content: 'b' },
        { role: 'user', content: 'hi' },
      ],
      parameters: { temperature: 1.7, seed: 3, frequency_penalty: 1, presence_penalty: 1, repetition_penalty: 1.2 },
      toolChoice: { name: 'f' },
    });
    assert.deepEqual(body, {
      model: 'm',
      system: 'a\n\nb',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: DEFAULT_ANTHROPIC_MAX_TOKENS,
      temperature: 1,
      tool_choice: { type: 'tool', name: 'f' },
    });
  });

  it('never sends empty text blocks (Anthropic rejects them)', () => {
    const body = neutralToAnthropicRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: '', toolCalls: [{ id: 't', name: 'f', arguments: '' }] },
        { role: 'tool', toolCallId: 't', content: 'done' },
      ],
      parameters: {},
    });
    assert.deepEqual(body.messages[1], { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] });
  });
});

describe('responses', () => {
  const message: AnthropicMessage = {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4',
    content: [
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_9', name: 'get_weather', input: { city: 'Rome' } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 30, output_tokens: 8 },
  };

  it('maps a message to the neutral result', () => {
    assert.deepEqual(anthropicResponseToNeutral(message), {
      id: 'msg_1',
      text: 'Checking.',
      toolCalls: [{ id: 'toolu_9', name: 'get_weather', arguments: '{"city":"Rome"}' }],
      stopReason: 'tool_calls',
      usage: { promptTokens: 30, completionTokens: 8 },
      model: 'claude-sonnet-4',
    } satisfies ChatResult);
  });

  it('round-trips a message, including a matched stop sequence', () => {
    assert.deepEqual(neutralToAnthropicResponse(anthropicResponseToNeutral(message)), message);
    const stopped: AnthropicMessage = { ...message, content: [{ type: 'text', text: 'a' }], stop_reason: 'stop_sequence', stop_sequence: '###' };
    assert.deepEqual(neutralToAnthropicResponse(anthropicResponseToNeutral(stopped)), stopped);
  });

  it('counts cache reads and writes as prompt tokens and skips reasoning blocks', () => {
    const result = anthropicResponseToNeutral({
      model: 'm',
      content: [{ type: 'thinking' }, { type: 'text', text: 'x' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 5, output_tokens: 2, cache_read_input_tokens: 100, cache_creation_input_tokens: 10 },
    });
    assert.equal(result.text, 'x');
    assert.deepEqual(result.usage, { promptTokens: 115, completionTokens: 2, cacheReadTokens: 100, cacheWriteTokens: 10 });
  });

  it('maps stop reasons both ways', () => {
    assert.equal(anthropicStopToStopReason('end_turn'), 'end');
    assert.equal(anthropicStopToStopReason('stop_sequence'), 'end');
    assert.equal(anthropicStopToStopReason('max_tokens'), 'length');
    assert.equal(anthropicStopToStopReason('model_context_window_exceeded'), 'length');
    assert.equal(anthropicStopToStopReason('tool_use'), 'tool_calls');
    assert.equal(anthropicStopToStopReason('refusal'), 'error');
    assert.equal(stopReasonToAnthropic('end'), 'end_turn');
    assert.equal(stopReasonToAnthropic('end', '###'), 'stop_sequence');
    for (const reason of ['end', 'length', 'tool_calls', 'error'] as const) {
      assert.equal(anthropicStopToStopReason(stopReasonToAnthropic(reason)), reason);
    }
  });
});

/** What Anthropic streams for a text block then a tool_use block. */
const anthropicEvents: AnthropicStreamEvent[] = [
  {
    type: 'message_start',
    message: {
      id: 'msg_s',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 25, output_tokens: 0 },
    },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'On ' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'it.' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_s', name: 'get_weather', input: {} } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city"' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: ':"Rome"}' } },
  { type: 'content_block_stop', index: 1 },
  {
    type: 'message_delta',
    delta: { stop_reason: 'tool_use', stop_sequence: null },
    usage: { input_tokens: 25, output_tokens: 11 },
  },
  { type: 'message_stop' },
];

const neutralEvents: ChatStreamEvent[] = [
  { type: 'start', id: 'msg_s', model: 'claude-sonnet-4', promptTokens: 25 },
  { type: 'text_delta', text: 'On ' },
  { type: 'text_delta', text: 'it.' },
  { type: 'tool_call_start', index: 0, id: 'toolu_s', name: 'get_weather' },
  { type: 'tool_call_delta', index: 0, arguments: '{"city"' },
  { type: 'tool_call_delta', index: 0, arguments: ':"Rome"}' },
  { type: 'finish', stopReason: 'tool_calls', usage: { promptTokens: 25, completionTokens: 11 }, model: 'claude-sonnet-4' },
];

describe('AnthropicStreamDecoder', () => {
  it('decodes text and tool_use blocks, finishing on message_stop', () => {
    const decoder = new AnthropicStreamDecoder();
    const events = anthropicEvents.flatMap((e) => decoder.push(e));
    assert.deepEqual(events, neutralEvents);
    assert.deepEqual(decoder.end(), [], 'finish only once');
  });

  it('ignores pings and reasoning blocks, and gives an argument-less tool call "{}"', () => {
    const decoder = new AnthropicStreamDecoder();
    const events = [
      ...decoder.push({ type: 'ping' }),
      ...decoder.push({ type: 'message_start', message: { id: 'msg_t', model: 'm', usage: { input_tokens: 1, output_tokens: 0 } } }),
      ...decoder.push({ type: 'content_block_start', index: 0, content_block: { type: 'thinking' } }),
      ...decoder.push({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta' } }),
      ...decoder.push({ type: 'content_block_stop', index: 0 }),
      ...decoder.push({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_n', name: 'now', input: {} } }),
      ...decoder.push({ type: 'content_block_stop', index: 1 }),
      ...decoder.push({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 3 } }),
      ...decoder.end(),
    ];
    assert.deepEqual(events, [
      { type: 'start', id: 'msg_t', model: 'm', promptTokens: 1 },
      { type: 'tool_call_start', index: 0, id: 'toolu_n', name: 'now' },
      { type: 'tool_call_delta', index: 0, arguments: '{}' },
      { type: 'finish', stopReason: 'tool_calls', usage: { promptTokens: 1, completionTokens: 3 }, model: 'm' },
    ]);
  });

  it('turns an error event into an error finish', () => {
    const decoder = new AnthropicStreamDecoder();
    const events = [
      ...decoder.push({ type: 'message_start', message: { id: 'msg_e', model: 'm' } }),
      ...decoder.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    ];
    assert.equal(events.at(-1)?.type, 'finish');
    assert.equal((events.at(-1) as Extract<ChatStreamEvent, { type: 'finish' }>).stopReason, 'error');
  });
});

describe('AnthropicStreamEncoder', () => {
  it('re-encodes the decoded events into the same event sequence', () => {
    const encoder = new AnthropicStreamEncoder();
    assert.deepEqual(
      neutralEvents.flatMap((e) => encoder.push(e)),
      anthropicEvents,
    );
  });

  it('opens a new block whenever the kind changes and reports a matched stop sequence', () => {
    const encoder = new AnthropicStreamEncoder({ id: 'msg_x', model: 'shown' });
    const events = [
      ...encoder.push({ type: 'text_delta', text: 'a' }),
      ...encoder.push({ type: 'tool_call_start', index: 0, id: 'c1', name: 'f' }),
      ...encoder.push({ type: 'tool_call_delta', index: 0, arguments: '{}' }),
      ...encoder.push({ type: 'text_delta', text: 'b' }),
      ...encoder.push({ type: 'finish', stopReason: 'end', stopSequence: '###', usage: { promptTokens: 1, completionTokens: 2 }, model: 'm' }),
    ];
    assert.deepEqual(
      events.map((e) => `${e.type}${'index' in e ? `#${e.index}` : ''}`),
      [
        'message_start',
        'content_block_start#0',
        'content_block_delta#0',
        'content_block_stop#0',
        'content_block_start#1',
        'content_block_delta#1',
        'content_block_stop#1',
        'content_block_start#2',
        'content_block_delta#2',
        'content_block_stop#2',
        'message_delta',
        'message_stop',
      ],
    );
    const start = events[0] as Extract<AnthropicStreamEvent, { type: 'message_start' }>;
    assert.equal(start.message.id, 'msg_x');
    assert.equal(start.message.model, 'shown');
    const delta = events.at(-2) as Extract<AnthropicStreamEvent, { type: 'message_delta' }>;
    assert.deepEqual(delta.delta, { stop_reason: 'stop_sequence', stop_sequence: '###' });
  });
});
