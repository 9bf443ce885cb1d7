/**
 * One API replica for bench/ws.bench.ts, run as a child process (fork) so that each replica has its own event
 * loop, as in production, instead of sharing the benchmark client's. Boots the API exactly as tests do
 * (startTestApi) against the issuer and environment it is given, listens on a loopback port and reports it over
 * IPC; answers "cpu" with its CPU usage so far and "spans" with the broadcasts it ran since the last ask (timed by
 * wrapping socket.io-adapter's broadcast, in this process only); closes the app and exits on "stop" (so `--cpu-prof` writes its profile).
 */
import { Adapter, BroadcastOptions } from 'socket.io-adapter';
import type { ProjectEvent } from '@pantheon/events';
import { startTestApi } from '../test/support/api';
import type { OidcIssuerHandle } from '../test/support/oidc';

/** One `project:update` broadcast this replica ran: monotonic µs (the clock of process.hrtime in every process). */
export interface BroadcastSpan {
  projectId: string;
  progress: number;
  /** socket.io's broadcast began: the event has come through Redis and been decoded. */
  start: number;
  /** It returned: the frame has been written to every local socket in the rooms (writes are synchronous). */
  end: number;
}

const spans: BroadcastSpan[] = [];
const micros = (): number => Number(process.hrtime.bigint() / 1000n);

// Instruments the benchmark's replicas only: the Redis adapter hands each event to this in-memory broadcast.
const broadcast = Adapter.prototype.broadcast;
Adapter.prototype.broadcast = function (this: Adapter, packet: { data?: unknown[] }, opts: BroadcastOptions): void {
  const start = micros();
  broadcast.call(this, packet, opts);
  const [name, event] = packet.data ?? [];
  if (name === 'project:update') {
    const { projectId, progress } = event as ProjectEvent;
    spans.push({ projectId, progress, start, end: micros() });
  }
};

export interface ReplicaSpec {
  issuer: Pick<OidcIssuerHandle, 'authServerUrl' | 'realm'>;
  env: Record<string, string>;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_WS_REPLICA ?? '') as ReplicaSpec;
  // startTestApi reads only the realm URL of the issuer handle.
  const api = await startTestApi(spec.issuer as OidcIssuerHandle, spec.env);
  const url = await api.listen();
  process.on('message', (msg) => {
    if (msg === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (msg === 'spans') process.send?.({ spans: spans.splice(0) });
    if (msg === 'stop') void api.close().finally(() => process.exit(0));
  });
  // The parent going away must not leave an orphan.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ url });
}

main().catch((err) => {
  process.stderr.write(`ws replica failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
