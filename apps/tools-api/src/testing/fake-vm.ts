import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How one fake endpoint answers: a status and a raw body, optionally after a delay. */
export interface FakeAnswer {
  status: number;
  body: string;
  delayMs?: number;
}

const json = (status: number, body: unknown): FakeAnswer => ({ status, body: JSON.stringify(body) });

/** What the VM stand-in image answers, so specs and the integration test expect the same documents. */
export const AGENT_HEALTH = {
  status: 'ok',
  agent: 'pantheon-guest-agent',
  version: '1',
  hostname: 'fake-vm',
  os: 'windows-11-standin',
};
export const AGENT_INFO = { hostname: 'fake-vm', os: 'windows-11-standin', spec: { VERSION: '11', RAM_SIZE: '4G' } };

/**
 * A VM on loopback for specs (never shipped in the image): the viewer and the guest agent on two
 * ephemeral ports, each path's answer replaceable per test. Unlisted paths answer 404.
 */
export class FakeVm {
  readonly answers = new Map<string, FakeAnswer>();
  /** `<port kind> <method> <path>` of every request received. */
  readonly received: string[] = [];

  private constructor(
    private readonly viewer: Server,
    private readonly agent: Server,
  ) {
    this.reset();
  }

  static async start(): Promise<FakeVm> {
    const vm: FakeVm = new FakeVm(
      createServer((req, res) => vm.answer('viewer', req, res)),
      createServer((req, res) => vm.answer('agent', req, res)),
    );
    await Promise.all([listen(vm.viewer), listen(vm.agent)]);
    return vm;
  }

  get viewerPort(): number {
    return (this.viewer.address() as AddressInfo).port;
  }

  get agentPort(): number {
    return (this.agent.address() as AddressInfo).port;
  }

  /** The answers of a healthy VM. */
  reset(): void {
    this.answers.clear();
    this.answers.set('viewer /health', json(200, { status: 'ok', role: 'vm' }));
    this.answers.set('agent /health', json(200, AGENT_HEALTH));
    this.answers.set('agent /info', json(200, AGENT_INFO));
  }

  set(key: 'viewer /health' | 'agent /health' | 'agent /info', answer: FakeAnswer): void {
    this.answers.set(key, answer);
  }

  async close(): Promise<void> {
    await Promise.all([stop(this.viewer), stop(this.agent)]);
  }

  private answer(kind: 'viewer' | 'agent', req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    this.received.push(`${kind} ${req.method ?? ''} ${path}`);
    const answer = this.answers.get(`${kind} ${path}`) ?? json(404, { error: 'not_found' });
    const send = (): void => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    };
    if (answer.delayMs === undefined) return send();
    const timer = setTimeout(send, answer.delayMs);
    res.once('close', () => clearTimeout(timer));
  }
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await listen(server);
  const { port } = server.address() as AddressInfo;
  await stop(server);
  return port;
}
