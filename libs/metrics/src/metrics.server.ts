import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a /metrics listener serves: an app's registry, or a cluster primary's aggregate of its workers'. */
export interface MetricsSource {
  readonly contentType: string;
  scrape(): Promise<string>;
}

export interface MetricsAddress {
  host: string;
  port: number;
}

/**
 * A bare HTTP listener serving only `GET /metrics`, kept apart from the app's public port so that it can be
 * bound to an internal address (METRICS_HOST) and never reached through the public API or a project network.
 */
export class MetricsServer {
  private server: Server | undefined;

  constructor(
    private readonly registry: MetricsSource,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  async listen(port: number, host: string): Promise<MetricsAddress> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`metrics endpoint cannot listen on ${host}:${port}: ${err.code ?? err.message}`)));
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return this.address()!;
  }

  /** Where it listens (port 0 is resolved to the port the system picked), or null before listen(). */
  address(): MetricsAddress | null {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : null;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    try {
      const body = await this.registry.scrape();
      res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      this.onError((err as Error).message);
      res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
    }
  }
}
