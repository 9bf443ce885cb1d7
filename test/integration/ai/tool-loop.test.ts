import assert from 'node:assert/strict';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { OpenAICompatibleProvider, AnthropicProvider, ChatProvider, ChatRequest, GoogleProvider } from '@pantheon/providers';
import { McpToolSource, runToolLoop } from '@pantheon/api/testing';
import { FakeProviders, startFakeProviders } from '../../support/fake-providers';
import { startMcpServer, ToolCallRecord } from '../../support/mcp-server';

describe('tool loop over MCP', () => {
  let fakes: FakeProviders;
  let mcp: Server;
  let mcpUrl: string;
  const calls: ToolCallRecord[] = [];

  before(async () => {
    fakes = await startFakeProviders();
    mcp = await startMcpServer(calls);
    mcpUrl = `http://127.0.0.1:${(mcp.address() as AddressInfo).port}/mcp`;
  });
  after(async () => {
    await new Promise((r) => mcp?.close(r));
    await fakes?.stop();
  });

  const completeWith = (provider: ChatProvider, model: string) => (request: Omit<ChatRequest, 'model'>) =>
    provider.chat({ ...request, model, apiKey: 'fk-tool-loop', signal: AbortSignal.timeout(10_000) });

  for (const [label, provider] of [
    ['openai', () => new OpenAICompatibleProvider('openai', { baseUrl: fakes.baseUrls.openai })],
    ['anthropic', () => new AnthropicProvider({ baseUrl: fakes.baseUrls.anthropic })],
  ] as const) {
    it(`runs MCP tool calls until the ${label} model answers`, async () => {
      calls.length = 0;
      const tools = await McpToolSource.connect(mcpUrl, { token: 'pt_example-token' });
      try {
        const listed = await tools.listTools();
        assert.deepEqual(listed.map((t) => t.name), ['get_weather']);
        const out = await runToolLoop(
          { messages: [{ role: 'user', content: 'What is the weather?' }], parameters: {} },
          tools,
          completeWith(provider(), 'fake-tool'),
          5,
        );
        assert.equal(out.result.text, 'tool said: sunny in Paris');
        assert.equal(out.result.stopReason, 'end');
        assert.equal(out.steps, 2);
        assert.deepEqual(calls.map((c) => [c.name, c.args]), [['get_weather', { city: 'Paris' }]]);
        assert.equal(calls[0].auth, 'Bearer pt_example-token', 'the project token authenticates the MCP call');
        assert.deepEqual(out.transcript.map((m) => m.role), ['assistant', 'tool']);
        assert.ok(out.usage.promptTokens > 0 && out.usage.completionTokens > 0);
      } finally {
        await tools.close();
      }
    });
  }

  for (const [label, provider] of [
    ['openai', () => new OpenAICompatibleProvider('openai', { baseUrl: fakes.baseUrls.openai })],
    ['anthropic', () => new AnthropicProvider({ baseUrl: fakes.baseUrls.anthropic })],
    ['google', () => new GoogleProvider({ baseUrl: fakes.baseUrls.google })],
  ] as const) {
    it(`hands a screenshot from the MCP computer tool to the ${label} model as an image`, async () => {
      const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#0078d4' } }).png().toBuffer();
      const screenCalls: ToolCallRecord[] = [];
      const screen = await startMcpServer(screenCalls, { screenshotPng: png });
      const tools = await McpToolSource.connect(`http://127.0.0.1:${(screen.address() as AddressInfo).port}/mcp`);
      try {
        const out = await runToolLoop(
          { messages: [{ role: 'user', content: 'What is on the screen?' }], parameters: {} },
          tools,
          completeWith(provider(), 'fake-screenshot'),
          5,
        );
        assert.deepEqual(screenCalls.map((c) => [c.name, c.args]), [['computer', { action: 'screenshot' }]]);
        assert.equal(out.result.text, 'I see image/png 64x48', 'the model received the PNG itself');
        const toolTurn = out.transcript.find((m) => m.role === 'tool');
        assert.equal(toolTurn?.role === 'tool' && toolTurn.images?.[0]?.data, png.toString('base64'));
      } finally {
        await tools.close();
        await new Promise((r) => screen.close(r));
      }
    });
  }

  it('stops at the step limit with the pending tool calls', async () => {
    calls.length = 0;
    const tools = await McpToolSource.connect(mcpUrl);
    try {
      const out = await runToolLoop(
        { messages: [{ role: 'user', content: 'weather?' }], parameters: {} },
        tools,
        completeWith(new OpenAICompatibleProvider('openai', { baseUrl: fakes.baseUrls.openai }), 'fake-tool'),
        1,
      );
      assert.equal(out.steps, 1);
      assert.equal(out.result.stopReason, 'tool_calls');
      assert.equal(calls.length, 0, 'no tool ran after the limit');
    } finally {
      await tools.close();
    }
  });

  it('reports a failing tool to the model instead of failing the chat', async () => {
    const broken = {
      listTools: async () => [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      callTool: async (): Promise<{ text: string; isError: boolean }> => {
        throw new Error('tools API unreachable');
      },
      close: async () => undefined,
    };
    const out = await runToolLoop(
      { messages: [{ role: 'user', content: 'weather?' }], parameters: {} },
      broken,
      completeWith(new OpenAICompatibleProvider('openai', { baseUrl: fakes.baseUrls.openai }), 'fake-tool'),
      5,
    );
    assert.equal(out.result.text, 'tool said: tool get_weather failed: tools API unreachable');
  });
});
