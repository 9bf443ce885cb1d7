import { connect, isIPv4 } from 'node:net';
import type { AgentProbeResult } from '@pantheon/guest-agent';
import { AgentError } from './agent-error';

/** TCP reachability from inside the VM (isolation checks). IP literals only: a probe never triggers a DNS lookup. */
export async function probeTcp(hostParam: string | null, portParam: string | null, timeoutMs: number): Promise<AgentProbeResult> {
  const host = hostParam ?? '';
  const port = Number(portParam);
  if (!isIPv4(host) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AgentError('bad_request', 'host must be an IPv4 address, port 1-65535');
  }
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
  return { host, port, reachable };
}
