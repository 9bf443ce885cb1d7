import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { neutralToAnthropicRequest } from '../anthropic/anthropic.codec';
import { toGoogleRequest } from '../google/google.codec';
import { neutralToOpenAIRequest } from '../openai/openai.codec';
import type { ChatRequest } from './chat.model';

/** A turn where the model took a screenshot and clicked, then the tools answered (one with an image). */
const request: ChatRequest = {
  model: 'm',
  parameters: {},
  messages: [
    { role: 'user', content: 'what is on screen?' },
    {
      role: 'assistant',
      content: '',
      toolCalls: [
        { id: 'call_1', name: 'computer', arguments: '{"action":"screenshot"}' },
        { id: 'call_2', name: 'vm_status', arguments: '{}' },
      ],
    },
    { role: 'tool', toolCallId: 'call_1', name: 'computer', content: 'screenshot 1024x768', images: [{ mimeType: 'image/png', data: 'iVBORw0K' }] },
    { role: 'tool', toolCallId: 'call_2', name: 'vm_status', content: '{"phase":"agent_ready"}' },
  ],
};

describe('images in tool results, per wire family', () => {
  it('OpenAI: tool messages stay text and follow the assistant turn; the images come in one user turn after them', () => {
    const { messages } = neutralToOpenAIRequest(request);
    assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'tool', 'tool', 'user']);
    assert.deepEqual(messages[2], { role: 'tool', tool_call_id: 'call_1', content: 'screenshot 1024x768' });
    assert.deepEqual(messages[4], {
      role: 'user',
      content: [
        { type: 'text', text: 'Image returned by tool computer (call call_1):' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K' } },
      ],
    });
  });

  it('OpenAI: no extra turn when no tool returned an image', () => {
    const { messages } = neutralToOpenAIRequest({ ...request, messages: request.messages.map((m) => (m.role === 'tool' ? { ...m, images: undefined } : m)) });
    assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'tool', 'tool']);
  });

  it('Anthropic: the image sits in the tool_result beside its caption', () => {
    const { messages } = neutralToAnthropicRequest(request);
    const results = messages[2]!.content as { type: string; tool_use_id: string; content: unknown }[];
    assert.deepEqual(results[0], {
      type: 'tool_result',
      tool_use_id: 'call_1',
      content: [
        { type: 'text', text: 'screenshot 1024x768' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } },
      ],
    });
    assert.equal(results[1]!.content, '{"phase":"agent_ready"}', 'text-only results stay plain strings');
  });

  it('Gemini: the image is an inline part of the user turn holding the function responses', () => {
    const { contents } = toGoogleRequest({ ...request, apiKey: 'k' } as never);
    const turn = (contents as { role: string; parts: Record<string, unknown>[] }[])[2]!;
    assert.equal(turn.role, 'user');
    assert.deepEqual(turn.parts.map((p) => Object.keys(p)[0]), ['functionResponse', 'inlineData', 'functionResponse']);
    assert.deepEqual(turn.parts[1], { inlineData: { mimeType: 'image/png', data: 'iVBORw0K' } });
  });
});
