import type { IncomingMessage, ServerResponse } from 'node:http';

/** A JSON answer; the request handler serialises it. */
export interface JsonReply {
  status: number;
  body: unknown;
}

export interface JsonRoute {
  method: 'GET';
  /** Exact path, no parameters: the surface is small and fixed. */
  path: string;
  handle(): Promise<JsonReply>;
}

/** A route that reads the request and writes the response itself (MCP over Streamable HTTP). */
export interface StreamRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export type Route = JsonRoute | StreamRoute;

/** Exact-match routing on method and path; each feature contributes its routes from its own file. */
export class Router {
  private readonly routes = new Map<string, Route>();

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      if (this.routes.has(key)) throw new Error(`duplicate route ${key}`);
      this.routes.set(key, route);
    }
  }

  /** The route for a request; HEAD is answered by the GET route (node drops the body). */
  find(method: string, path: string): Route | undefined {
    return this.routes.get(`${method === 'HEAD' ? 'GET' : method} ${path}`);
  }
}
