/**
 * `npm run bench:mcp` — the project's desktop against a real TigerVNC Xvnc at 1024x768 (twm, an xterm full of
 * text), all on loopback: (a) the bare RFB round trip of a full non-incremental update request, (b) a VncDesktop
 * PNG screenshot, (c) a left_click until the settled screenshot, and (d, e) the same two through the tools API's
 * MCP endpoint with the official SDK client (what a model's MCP client sees). Prints p50/p95 and ratios against
 * (a) from the same run; asserts nothing. Goals: screenshot p50 < 100 ms and screenshot/raw p50 <= 1.5x.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createToolsApiServer } from '../apps/tools-api/src/app';
import { JsonLogger } from '../apps/tools-api/src/logging/json-logger';
import { VncDesktop } from '../apps/tools-api/src/computer/vnc.desktop';
import { RfbClient } from '../apps/tools-api/src/vnc/rfb-client';
import { Encoding } from '../apps/tools-api/src/vnc/rfb-protocol';
import { startXvnc } from '../test/support/xvnc';
import { percentile } from './support/stats';

const N = Number(process.env.BENCH_N ?? 60);

interface Result {
  label: string;
  p50: number;
  p95: number;
}

async function measure(label: string, call: () => Promise<unknown>, n = N): Promise<Result> {
  for (let i = 0; i < 5; i++) await call(); // warm-up: JIT, sharp's thread pool
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  return { label, p50: percentile(latencies, 50), p95: percentile(latencies, 95) };
}

async function fullRoundTrip(client: RfbClient): Promise<void> {
  if (!(await client.refresh(5000))) throw new Error('no update within 5 s');
}

async function main(): Promise<void> {
  const xvnc = await startXvnc({ width: 1024, height: 768, desktop: true });
  const desktop = new VncDesktop({ host: '127.0.0.1', port: xvnc.rfbPort, connectWaitMs: 10_000 });
  const uncached = new VncDesktop({ host: '127.0.0.1', port: xvnc.rfbPort, connectWaitMs: 10_000, screenshotCache: false });
  const zrle = new RfbClient({ host: '127.0.0.1', port: xvnc.rfbPort });
  const raw = new RfbClient({ host: '127.0.0.1', port: xvnc.rfbPort, encodings: [Encoding.Raw, Encoding.DesktopSize] });
  zrle.start();
  raw.start();
  try {
    if (!(await zrle.waitForConnection(10_000)) || !(await raw.waitForConnection(10_000))) throw new Error('no RFB connection');
    // Text on screen, so the encoders have real work (a black screen compresses to nothing).
    await new Promise((r) => setTimeout(r, 1000));
    await desktop.run({ action: 'left_click', coordinate: [200, 150] });
    await desktop.run({ action: 'type', text: 'ls -l /usr/bin | head -22\n' });

    const results = [
      await measure('(a) RFB full update, ZRLE', () => fullRoundTrip(zrle)),
      await measure('(a) RFB full update, Raw', () => fullRoundTrip(raw)),
      await measure('(b) screenshot PNG', () => uncached.run({ action: 'screenshot' })),
      await measure('(b) screenshot JPEG q80', () => uncached.run({ action: 'screenshot' }, { format: 'jpeg' })),
      await measure('(b) PNG, unchanged (cache)', () => desktop.run({ action: 'screenshot' })),
      // Alternating between two spots of the root window: each click moves the pointer (cursor redraw).
      await measure('(c) left_click → settled', (() => {
        let i = 0;
        return () => desktop.run({ action: 'left_click', coordinate: i++ % 2 ? [700, 600] : [900, 700] });
      })(), Math.min(N, 30)),
    ];
    // The same through MCP: the tools API in-process with its own VncDesktop, the SDK client over HTTP.
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-bench-mcp-'));
    writeFileSync(join(dir, 'api-credential'), 'bench-credential', { mode: 0o400 });
    writeFileSync(join(dir, 'project-token'), 'pt_bench', { mode: 0o400 });
    const server = createToolsApiServer(
      {
        projectId: '00000000-0000-4000-8000-000000000001', vmHost: '127.0.0.1', vmViewerPort: 1, guestAgentPort: 1,
        vmVncPort: xvnc.rfbPort, screenshotMaxWidth: 1280, port: 0, host: '127.0.0.1', healthTimeoutMs: 500,
        projectTokenFile: join(dir, 'project-token'), credentialFile: join(dir, 'api-credential'), guestAgentTokenFile: null, gatewayUrl: null,
      },
      new JsonLogger({ write: () => true }),
      { createDesktop: ({ host, port, maxWidth }) => new VncDesktop({ host, port, maxWidth, connectWaitMs: 10_000, screenshotCache: false }) },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const mcp = new Client({ name: 'bench', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`), {
        requestInit: { headers: { Authorization: 'Bearer bench-credential' } },
      }),
    );
    const tool = async (args: Record<string, unknown>) => {
      const r = await mcp.callTool({ name: 'computer', arguments: args });
      if (r.isError) throw new Error(JSON.stringify(r.content));
    };
    try {
      await tool({ action: 'screenshot' });
      results.push(await measure('(d) MCP computer screenshot', () => tool({ action: 'screenshot' })));
      let j = 0;
      results.push(await measure('(e) MCP left_click → settled', () => tool({ action: 'left_click', coordinate: j++ % 2 ? [700, 600] : [900, 700] }), Math.min(N, 30)));
    } finally {
      await mcp.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      rmSync(dir, { recursive: true, force: true });
    }

    const [zrleRt, rawRt, png, , cachedPng, , mcpPng] = results;
    console.log(`screen benchmark: Xvnc 1024x768 on loopback, ${N} sequential calls each`);
    for (const r of results) console.log(`  ${r.label.padEnd(28)} p50 ${r.p50.toFixed(1).padStart(6)} ms   p95 ${r.p95.toFixed(1).padStart(6)} ms`);
    console.log(
      `  screenshot PNG / RFB full update: p50 ${(png.p50 / zrleRt.p50).toFixed(2)}x (ZRLE), ${(png.p50 / rawRt.p50).toFixed(2)}x (Raw); ` +
        `unchanged screen ${(cachedPng.p50 / zrleRt.p50).toFixed(2)}x (ZRLE)`,
    );
    console.log(
      `  MCP screenshot / RFB full update: p50 ${(mcpPng.p50 / zrleRt.p50).toFixed(2)}x (ZRLE), ${(mcpPng.p50 / rawRt.p50).toFixed(2)}x (Raw)`,
    );
    console.log('  (c) and (e) include the 120 ms quiet window that defines "settled"');
  } finally {
    await desktop.close();
    await uncached.close();
    await zrle.close();
    await raw.close();
    await xvnc.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
