/**
 * One API replica for bench/ws.bench.ts, run as a child process (fork) so that each replica has its own event
 * loop, as in production, instead of sharing the benchmark client's. Boots the API exactly as tests do
 * (startTestApi) against the issuer and environment it is given, listens on a loopback port and reports it over
 * IPC; answers "cpu" with its CPU usage so far; closes the app and exits on "stop" (so `--cpu-prof` writes its profile).
 */
import { startTestApi } from '../test/support/api';
import type { OidcIssuerHandle } from '../test/support/oidc';

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
