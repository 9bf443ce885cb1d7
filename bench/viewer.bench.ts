/**
 * `npm run bench:viewer` — "Connect": time from `POST /api/projects/:id/viewer` to the first frame drawn in the
 * browser (Debian chromium via playwright-core): the ticket, the redirect to noVNC's page relayed from the
 * stand-in VM, its files, the WebSocket through the API's relay to the VM's websockify and Xvnc, and the first
 * framebuffer update painted on noVNC's canvas. One project (real API and worker, stand-in images), a fresh
 * browser context per run (no cache, no cookies). Prints p50/p95 of the whole and of its parts. Not a test: it
 * asserts nothing.
 *
 *   BENCH_N       measured runs (default 8)
 *   BENCH_WARMUP  unmeasured runs first (default 1)
 */
import { performance } from 'node:perf_hooks';
import { createProject, createUser } from '../test/factories';
import { startTestApi, TestApi } from '../test/support/api';
import { launchChromium, novncConnected } from '../test/support/browser';
import { startOidcIssuer } from '../test/support/oidc';
import { runtimeTestEnv } from '../test/support/runtime-env';
import { startTestWorker, TestWorker } from '../test/support/worker';
import { adminPool } from '../test/support/db';
import { percentile, positiveInt } from './support/stats';

const N = positiveInt('BENCH_N', 8);
const WARMUP = positiveInt('BENCH_WARMUP', 1, 0);

const ms = (v: number) => `${v.toFixed(0)}ms`;

async function main(): Promise<void> {
  const issuer = await startOidcIssuer();
  const rt = await runtimeTestEnv('bench-viewer');
  const env: Record<string, string> = {
    ...rt.env,
    REDIS_PREFIX: `${process.env.REDIS_PREFIX}:bench-viewer`,
    LOG_LEVEL: 'info',
    VIEWER_MAX_PER_PROJECT: '100',
    VIEWER_MAX_PER_USER: '100',
  };
  const admin = adminPool();
  let api: TestApi | undefined;
  let worker: TestWorker | undefined;
  const browser = await launchChromium();
  let userId: string | undefined;
  try {
    api = await startTestApi(issuer, env);
    const origin = await api.listen();
    worker = await startTestWorker(env);
    const user = await createUser(api, issuer, 'bench-viewer');
    userId = user.id;
    const project = await createProject(api, user, { name: 'bench viewer' });
    await api.as(user).waitForProject(project.id, 'running', { logs: worker.logs });
    // Xvnc answers from the start; give the desktop's clients (twm, xterm) a moment to draw before measuring.
    await new Promise((r) => setTimeout(r, 3000));

    const once = async () => {
      const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
      try {
        const page = await context.newPage();
        const t0 = performance.now();
        const res = await api!.as(user).post(`/api/projects/${project.id}/viewer`).send({}).expect(201);
        const t1 = performance.now();
        await page.goto(`${origin}${res.body.url as string}`);
        await novncConnected(page);
        const t2 = performance.now();
        // The first frame: noVNC's canvas starts transparent; a framebuffer update paints opaque pixels.
        await page.waitForFunction(
          () => {
            const canvas = (globalThis as any).document.querySelector('#noVNC_container canvas'); // eslint-disable-line @typescript-eslint/no-explicit-any
            if (!canvas || !canvas.width) return false;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data as Uint8ClampedArray;
            for (let i = 3; i < data.length; i += 4 * 997) if (data[i] !== 0) return true;
            return false;
          },
          undefined,
          { polling: 'raf', timeout: 30_000 },
        );
        const t3 = performance.now();
        return { total: t3 - t0, post: t1 - t0, connected: t2 - t1, frame: t3 - t2 };
      } finally {
        await context.close();
      }
    };

    for (let i = 0; i < WARMUP; i++) await once();
    const runs: Awaited<ReturnType<typeof once>>[] = [];
    for (let i = 0; i < N; i++) runs.push(await once());
    const line = (key: 'total' | 'post' | 'connected' | 'frame') => {
      const sorted = runs.map((r) => r[key]).sort((a, b) => a - b);
      return `${key} p50 ${ms(percentile(sorted, 50))} p95 ${ms(percentile(sorted, 95))}`;
    };
    console.log(`viewer: POST → first frame drawn: ${line('total')} | ${line('post')} | page+noVNC connected: ${line('connected')} | first frame after connect: ${line('frame')} (n=${N}, warm-up ${WARMUP})`);
  } finally {
    await browser.close().catch(() => undefined);
    await worker?.close();
    await api?.close();
    await rt.cleanup();
    if (userId) await admin.query('delete from projects where owner_id = $1::uuid', [userId]);
    await admin.end();
    await issuer.stop();
  }
}

main().catch((err: Error) => {
  console.error(`bench:viewer failed: ${err.message}`);
  process.exitCode = 1;
});
