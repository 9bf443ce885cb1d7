import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import {
  anthropicRequestToNeutral,
  anthropicResponseToNeutral,
  AnthropicStreamDecoder,
  AnthropicStreamEncoder,
  AnthropicStreamEncoderOptions,
  anthropicSseErrorFrame,
  anthropicSseFrame,
  neutralToAnthropicRequest,
  neutralToAnthropicResponse,
} from './anthropic/anthropic.codec';
import type { AnthropicMessage, AnthropicMessagesRequest, AnthropicStreamEvent, AnthropicStreamEventLike } from './anthropic/anthropic.types';
import {
  openAISseErrorFrame,
  openAISseFrame,
  neutralToOpenAIRequest,
  neutralToOpenAIResponse,
  OPENAI_SSE_DONE,
  openAIRequestToNeutral,
  openAIResponseToNeutral,
  OpenAIStreamDecoder,
  OpenAIStreamEncoder,
  OpenAIStreamEncoderOptions,
} from './openai/openai.codec';
import type { OpenAIChatChunk, OpenAIChatChunkLike, OpenAIChatCompletion, OpenAIChatRequest } from './openai/openai.types';
import type { ChatResult, ChatStreamEvent } from './wire/chat.model';
import { collectChatStream } from './wire/stream-accumulator';

/**
 * The two public formats translated into each other through the neutral model, as the LLM proxy does when a
 * client speaks one family and the upstream another (decode one side, encode the other).
 */

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** Runs items through one codec stage: an encoder, or a decoder including its `end`. */
function run<I, O>(stage: { push(item: I): O[]; end?(): O[] }, items: I[]): O[] {
  const out = items.flatMap((item) => stage.push(item));
  return stage.end ? [...out, ...stage.end()] : out;
}

const openAIToAnthropic = (body: OpenAIChatRequest): AnthropicMessagesRequest =>
  neutralToAnthropicRequest(openAIRequestToNeutral(body), { stream: body.stream === true });
const anthropicToOpenAI = (body: AnthropicMessagesRequest): OpenAIChatRequest =>
  neutralToOpenAIRequest(anthropicRequestToNeutral(body), { stream: body.stream === true });
const openAIChunksToAnthropic = (chunks: OpenAIChatChunkLike[], options: AnthropicStreamEncoderOptions = {}): AnthropicStreamEvent[] =>
  run(new AnthropicStreamEncoder(options), run(new OpenAIStreamDecoder(), chunks));
const anthropicEventsToOpenAI = (events: AnthropicStreamEventLike[], options: OpenAIStreamEncoderOptions = {}): OpenAIChatChunk[] =>
  run(new OpenAIStreamEncoder(options), run(new AnthropicStreamDecoder(), events));

/** Newline-delimited JSON, the form the SDKs' `fromReadableStream` read. */
function ndjson(items: unknown[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(items.map((i) => `${JSON.stringify(i)}\n`).join(''));
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

const openAIRequest: OpenAIChatRequest = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Weather in Paris and Oslo?' },
    {
      role: 'assistant',
      content: 'Checking.',
      tool_calls: [
        { id: 'call_p', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_o', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_p', content: 'sunny' },
    { role: 'tool', tool_call_id: 'call_o', content: 'rain' },
    { role: 'user', content: 'Compare.' },
  ],
  tools: [
    {
      type: 'function',
      function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    },
  ],
  tool_choice: 'required',
  max_tokens: 300,
  temperature: 0.2,
  stop: ['END'],
};

describe('requests: OpenAI ⇄ Anthropic', () => {
  it('translates an OpenAI request to Anthropic', () => {
    assert.deepEqual(openAIToAnthropic(openAIRequest), {
      model: 'gpt-4o',
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Weather in Paris and Oslo?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'call_p', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'call_o', name: 'get_weather', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_p', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'call_o', content: 'rain' },
            { type: 'text', text: 'Compare.' },
          ],
        },
      ],
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any' },
      max_tokens: 300,
      temperature: 0.2,
      stop_sequences: ['END'],
    } satisfies AnthropicMessagesRequest);
  });

  it('round-trips OpenAI → Anthropic → OpenAI preserving text, tool calls (ids, names, arguments) and results', () => {
    assert.deepEqual(anthropicToOpenAI(openAIToAnthropic(openAIRequest)), openAIRequest);
  });

  it('round-trips Anthropic → OpenAI → Anthropic', () => {
    const anthropic = openAIToAnthropic(openAIRequest);
    assert.deepEqual(openAIToAnthropic(anthropicToOpenAI(anthropic)), anthropic);
  });

  it('carries the stream flag across', () => {
    assert.equal(openAIToAnthropic({ ...openAIRequest, stream: true }).stream, true);
    const openai = anthropicToOpenAI({ ...openAIToAnthropic(openAIRequest), stream: true });
    assert.equal(openai.stream, true);
    assert.deepEqual(openai.stream_options, { include_usage: true });
  });
});

describe('responses: OpenAI ⇄ Anthropic', () => {
  const completion: OpenAIChatCompletion = {
    id: 'chatcmpl-r',
    object: 'chat.completion',
    created: 5,
    model: 'gpt-4o',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Calling.',
          refusal: null,
          tool_calls: [{ id: 'call_r', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } }],
        },
        finish_reason: 'tool_calls',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 40, completion_tokens: 9, total_tokens: 49 },
  };

  it('translates an OpenAI completion to an Anthropic message', () => {
    assert.deepEqual(neutralToAnthropicResponse(openAIResponseToNeutral(completion), { id: 'msg_r' }), {
      id: 'msg_r',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o',
      content: [
        { type: 'text', text: 'Calling.' },
        { type: 'tool_use', id: 'call_r', name: 'get_weather', input: { city: 'Rome' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 40, output_tokens: 9 },
    } satisfies AnthropicMessage);
  });

  it('round-trips both ways and maps every stop reason', () => {
    assert.deepEqual(neutralToOpenAIResponse(anthropicResponseToNeutral(neutralToAnthropicResponse(openAIResponseToNeutral(completion))), {
      id: 'chatcmpl-r',
      created: 5,
    }), completion);
    const pairs: Array<[OpenAIChatCompletion['choices'][number]['finish_reason'], AnthropicMessage['stop_reason']]> = [
      ['stop', 'end_turn'],
      ['length', 'max_tokens'],
      ['tool_calls', 'tool_use'],
      ['content_filter', 'refusal'],
    ];
    for (const [finish, stop] of pairs) {
      // Text only: a `stop` beside tool calls reads as tool_calls (see openAIFinishToStopReason).
      const textOnly = { ...completion.choices[0]!, message: { role: 'assistant' as const, content: 'x', refusal: null } };
      const openai = { ...completion, choices: [{ ...textOnly, finish_reason: finish }] };
      const anthropic = neutralToAnthropicResponse(openAIResponseToNeutral(openai));
      assert.equal(anthropic.stop_reason, stop, `${finish} → ${stop}`);
      assert.equal(neutralToOpenAIResponse(anthropicResponseToNeutral(anthropic)).choices[0]?.finish_reason, finish, `${stop} → ${finish}`);
    }
  });
});

/** A streamed answer in neutral form: text, then two tool calls, with usage. */
const neutralStream: ChatStreamEvent[] = [
  { type: 'start', id: 'chatcmpl-t', model: 'gpt-4o' },
  { type: 'text_delta', text: 'Checking ' },
  { type: 'text_delta', text: 'both.' },
  { type: 'tool_call_start', index: 0, id: 'call_a', name: 'get_weather' },
  { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
  { type: 'tool_call_delta', index: 0, arguments: '"Paris"}' },
  { type: 'tool_call_start', index: 1, id: 'call_b', name: 'get_weather' },
  { type: 'tool_call_delta', index: 1, arguments: '{"city":"Oslo"}' },
  { type: 'finish', stopReason: 'tool_calls', usage: { promptTokens: 21, completionTokens: 13 }, model: 'gpt-4o' },
];

const expectedResult: ChatResult = {
  id: 'chatcmpl-t',
  text: 'Checking both.',
  toolCalls: [
    { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
    { id: 'call_b', name: 'get_weather', arguments: '{"city":"Oslo"}' },
  ],
  stopReason: 'tool_calls',
  usage: { promptTokens: 21, completionTokens: 13 },
  model: 'gpt-4o',
};

describe('streams: OpenAI chunks → Anthropic events', () => {
  it('emits message_start, text and tool_use blocks with input_json_delta, message_delta, message_stop', async () => {
    const chunks = run(new OpenAIStreamEncoder({ id: 'chatcmpl-t', created: 1 }), neutralStream);
    const events = openAIChunksToAnthropic(chunks, { id: 'msg_t' });
    assert.deepEqual(
      events.map((e) => (e.type === 'content_block_start' ? `${e.type}:${e.content_block.type}#${e.index}` : 'index' in e ? `${e.type}#${e.index}` : e.type)),
      [
        'message_start',
        'content_block_start:text#0',
        'content_block_delta#0',
        'content_block_delta#0',
        'content_block_stop#0',
        'content_block_start:tool_use#1',
        'content_block_delta#1',
        'content_block_delta#1',
        'content_block_stop#1',
        'content_block_start:tool_use#2',
        'content_block_delta#2',
        'content_block_stop#2',
        'message_delta',
        'message_stop',
      ],
    );
    assert.deepEqual(events.at(-2), {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 21, output_tokens: 13 },
    });
    assert.deepEqual(events[5], {
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} },
    });
    assert.deepEqual(events[6], { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } });
  });

  it('produces a stream the Anthropic SDK accumulates into the same message', async () => {
    const chunks = run(new OpenAIStreamEncoder({ id: 'chatcmpl-t', created: 1 }), neutralStream);
    const events = openAIChunksToAnthropic(chunks, { id: 'msg_t' });
    const message = await MessageStream.fromReadableStream(ndjson(events)).finalMessage();
    assert.equal(message.id, 'msg_t');
    assert.equal(message.stop_reason, 'tool_use');
    assert.deepEqual(
      message.content.map((b) => (b.type === 'text' ? { text: b.text } : b.type === 'tool_use' ? { id: b.id, name: b.name, input: b.input } : {})),
      [{ text: 'Checking both.' }, { id: 'call_a', name: 'get_weather', input: { city: 'Paris' } }, { id: 'call_b', name: 'get_weather', input: { city: 'Oslo' } }],
    );
    assert.equal(message.usage.input_tokens, 21);
    assert.equal(message.usage.output_tokens, 13);
  });
});

describe('streams: Anthropic events → OpenAI chunks', () => {
  it('ends with a finish chunk and a usage chunk', async () => {
    const events = run(new AnthropicStreamEncoder({ id: 'msg_t' }), neutralStream);
    const chunks = anthropicEventsToOpenAI(events, { id: 'chatcmpl-x', created: 1 });
    const finish = chunks.at(-2);
    assert.equal(finish?.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual(chunks.at(-1), {
      id: 'chatcmpl-x',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o',
      choices: [],
      usage: { prompt_tokens: 21, completion_tokens: 13, total_tokens: 34 },
    });
    assert.deepEqual(chunks[0]?.choices[0]?.delta, { role: 'assistant', content: '' });
  });

  it('produces a stream the OpenAI SDK accumulates into the same completion', async () => {
    const events = run(new AnthropicStreamEncoder(), neutralStream);
    const chunks = anthropicEventsToOpenAI(events, { id: 'chatcmpl-x', created: 1 });
    const completion = await ChatCompletionStream.fromReadableStream(ndjson(chunks)).finalChatCompletion();
    const choice = completion.choices[0];
    assert.equal(choice?.message.content, 'Checking both.');
    assert.equal(choice?.finish_reason, 'tool_calls');
    assert.deepEqual(
      choice?.message.tool_calls?.map((c) => (c.type === 'function' ? [c.id, c.function.name, c.function.arguments] : [])),
      [
        ['call_a', 'get_weather', '{"city":"Paris"}'],
        ['call_b', 'get_weather', '{"city":"Oslo"}'],
      ],
    );
    assert.equal(completion.usage?.prompt_tokens, 21);
    assert.equal(completion.usage?.completion_tokens, 13);
  });
});

describe('stream round trips', () => {
  it('neutral → OpenAI → neutral keeps text, tool calls and stop reason', async () => {
    const chunks = run(new OpenAIStreamEncoder({ id: 'chatcmpl-t', created: 1 }), neutralStream);
    assert.deepEqual(await collectChatStream(from(run(new OpenAIStreamDecoder(), chunks))), expectedResult);
  });

  it('neutral → Anthropic → neutral keeps text, tool calls and stop reason', async () => {
    const events = run(new AnthropicStreamEncoder({ id: 'msg_t' }), neutralStream);
    assert.deepEqual(await collectChatStream(from(run(new AnthropicStreamDecoder(), events))), { ...expectedResult, id: 'msg_t' });
  });

  it('OpenAI → Anthropic → OpenAI keeps the answer', async () => {
    const chunks = run(new OpenAIStreamEncoder({ id: 'chatcmpl-t', created: 1 }), neutralStream);
    const back = anthropicEventsToOpenAI(openAIChunksToAnthropic(chunks), { id: 'chatcmpl-t', created: 1 });
    assert.deepEqual(await collectChatStream(from(run(new OpenAIStreamDecoder(), back))), expectedResult);
  });

  it('Anthropic → OpenAI → Anthropic keeps the answer, including a length stop', async () => {
    const events = run(
      new AnthropicStreamEncoder({ id: 'msg_t' }),
      neutralStream.slice(0, 3).concat({ ...neutralStream[8]!, stopReason: 'length' } as ChatStreamEvent),
    );
    const back = openAIChunksToAnthropic(anthropicEventsToOpenAI(events), { id: 'msg_t' });
    const result = await collectChatStream(from(run(new AnthropicStreamDecoder(), back)));
    assert.equal(result.text, 'Checking both.');
    assert.equal(result.stopReason, 'length');
    assert.deepEqual(result.toolCalls, []);
  });
});

describe('SSE framing', () => {
  it('frames Anthropic events with their type and OpenAI chunks as data lines', () => {
    const event: AnthropicStreamEvent = { type: 'message_stop' };
    assert.deepEqual(anthropicSseFrame(event), { event: 'message_stop', data: { type: 'message_stop' } });
    assert.deepEqual(anthropicSseErrorFrame('api_error', 'boom'), { event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'boom' } } });
    const chunk: OpenAIChatChunk = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [] };
    assert.deepEqual(openAISseFrame(chunk), { data: chunk });
    assert.deepEqual(OPENAI_SSE_DONE, { raw: '[DONE]' });
    assert.deepEqual(openAISseErrorFrame('boom'), { data: { error: { message: 'boom', type: 'server_error' } } });
  });

  it('encodes an empty answer as a complete, valid sequence', () => {
    const encoder = new AnthropicStreamEncoder({ id: 'msg_e' });
    const events = encoder.push({ type: 'finish', stopReason: 'end', usage: { promptTokens: 1, completionTokens: 0 }, model: 'm' });
    assert.deepEqual(events.map((e) => e.type), ['message_start', 'message_delta', 'message_stop']);
  });
});
