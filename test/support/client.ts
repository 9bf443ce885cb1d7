// The shared test client: HTTP as a user (supertest, bearer token set), that user's socket.io connection, and
// waiting for a project to reach a status. Built by TestApi.as(user); see test/support/api.ts.
import type { Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import request, { Test } from 'supertest';
import { io, ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { SubscribeAck, WS_NAMESPACE } from '@pantheon/events';
import type { WorkerLogs } from './worker';

export type SocketOpts = Partial<ManagerOptions & SocketOptions>;

const ACK_TIMEOUT_MS = 5000;
const PROJECT_TIMEOUT_MS = 60_000;
const PROJECT_POLL_MS = 250;

/** A socket on the project-events namespace: websocket only, no reconnection, a connection of its own. */
export function openSocket(origin: string, opts: SocketOpts = {}): Socket {
  return io(`${origin}${WS_NAMESPACE}`, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts });
}

/** Resolves once the socket is connected; rejects with the handshake's connect_error. */
export function connected(socket: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

export function subscribe(socket: Socket, req: unknown): Promise<SubscribeAck> {
  return socket.timeout(ACK_TIMEOUT_MS).emitWithAck('subscribe', req) as Promise<SubscribeAck>;
}

/** What a client needs of a running API (TestApi provides it). */
export interface ClientTarget {
  server: Server;
  /** socket.io's path (the app's WS_PATH). */
  wsPath: string;
  /** Starts listening if need be; resolves with the origin. */
  listen(): Promise<string>;
  /** Hands a socket over to be disconnected when the API closes. */
  track(socket: Socket): void;
}

export interface WaitForProjectOptions {
  timeoutMs?: number;
  /** The worker's log: its lines about the project go into the timeout error. */
  logs?: WorkerLogs;
}

export interface UserClient {
  /** The Authorization header, for requests made without supertest (fetch). */
  readonly headers: { Authorization: string };
  get(path: string): Test;
  post(path: string): Test;
  put(path: string): Test;
  delete(path: string): Test;
  /** Connects to /ws with the user's token; resolves when connected. Closed by the caller or when the API closes. */
  socket(opts?: SocketOpts): Promise<Socket>;
  /** Polls GET /api/projects/:id until its status is (one of) `status`; resolves with the project. */
  waitForProject(id: string, status: string | string[], opts?: WaitForProjectOptions): Promise<any>;
}

export function userClient(target: ClientTarget, user: { token: string }): UserClient {
  const headers = { Authorization: `Bearer ${user.token}` };
  const http = () => request(target.server);
  const client: UserClient = {
    headers,
    get: (path) => http().get(path).set(headers),
    post: (path) => http().post(path).set(headers),
    put: (path) => http().put(path).set(headers),
    delete: (path) => http().delete(path).set(headers),
    socket: async (opts = {}) => {
      const socket = openSocket(await target.listen(), { path: target.wsPath, auth: { token: user.token }, ...opts });
      target.track(socket);
      return connected(socket);
    },
    waitForProject: async (id, status, opts = {}) => {
      const wanted = [status].flat();
      const timeoutMs = opts.timeoutMs ?? PROJECT_TIMEOUT_MS;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await client.get(`/api/projects/${id}`);
        if (res.status === 200 && wanted.includes(res.body.status)) return res.body;
        if (Date.now() >= deadline) {
          const seen = res.status === 200 ? `${res.body.status}${res.body.last_error ? ` (${res.body.last_error})` : ''}` : `HTTP ${res.status}`;
          const clue = opts.logs?.about(id);
          throw new Error(
            `project ${id} did not reach ${wanted.join('|')} within ${timeoutMs} ms; last seen: ${seen}` +
              (clue ? `\nthe worker logged:\n${clue}` : ''),
          );
        }
        await delay(PROJECT_POLL_MS);
      }
    },
  };
  return client;
}
