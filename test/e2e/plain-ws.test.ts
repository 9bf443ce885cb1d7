import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { WebSocket as UndiciWebSocket } from 'undici';
import WebSocket from 'ws';
import { ProjectEvent, ProjectEventPublisher } from '@pantheon/events';
import { createUser, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { connected, openSocket, subscribe as subscribeSocketIo } from '../support/client';
import { adminPool, requiredEnv } from '../support/db';
import { eventually } from '../support/eventually';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

/** socket.io and the plain protocol share one path here, as the original README's client expects `/ws`. */
const PATH = '/ws';

type Message = { type: string; [k: string]: unknown };

/** A `ws` client that records every JSON message and its close code. */
class PlainClient {
  readonly messages: Message[] = [];
  closed?: { code: number; reason: string };
  readonly opened: Promise<void>;

  constructor(
    readonly ws: WebSocket,
  ) {
    ws.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as Message));
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first message (after those already seen) matching `match`. */
  async next(match: (m: Message) => boolean, what: string): Promise<Message> {
    return eventually(async () => this.messages.find(match), 5000, what, 20);
  }

  async closedWith(): Promise<{ code: number; reason: string }> {
    return eventually(async () => this.closed, 5000, 'the socket closed', 20);
  }
}

describe('realtime: the plain WebSocket protocol at /ws (beside socket.io)', () => {
  const admin = adminPool();
  const prefix = requiredEnv('REDIS_PREFIX');
  let issuer: OidcIssuerHandle;
  let api: TestApi;
  let wsUrl: string;
  let redis: Redis;
  let publisher: ProjectEventPublisher;
  let alice: TestUser;
  let bob: TestUser;
  let aliceA: string;
  let aliceB: string;
  let bobX: string;
  const clients: PlainClient[] = [];

  const open = (protocols?: string[]): PlainClient => {
    const client = new PlainClient(new WebSocket(wsUrl, protocols));
    clients.push(client);
    return client;
  };
  const publish = (owner: TestUser, projectId: string, progress = 20): Promise<ProjectEvent> =>
    publisher.publish({ userId: owner.id, projectId, status: 'provisioning', step: 'network', progress });
  const seedProject = async (owner: TestUser, name: string) =>
    (await admin.query('insert into projects (owner_id, name) values ($1, $2) returning id', [owner.id, name])).rows[0].id as string;

  /** Connected and authenticated with the token as a subprotocol. */
  const authed = async (user: TestUser): Promise<PlainClient> => {
    const client = open(['pantheon.v1', user.token]);
    await client.opened;
    await client.next((m) => m.type === 'authenticated', 'authenticated');
    return client;
  };

  before(async () => {
    issuer = await startOidcIssuer();
    api = await startTestApi(issuer, { WS_PATH: PATH, PLAIN_WS_PATH: PATH, PLAIN_WS_MAX_PER_USER: '3', REDIS_PREFIX: `${prefix}:plainws` });
    const origin = await api.listen();
    wsUrl = `${origin.replace(/^http/, 'ws')}${PATH}`;
    redis = new Redis(requiredEnv('REDIS_URL'), { keyPrefix: `${prefix}:plainws:` });
    publisher = new ProjectEventPublisher(redis, { redisPrefix: `${prefix}:plainws`, streamMaxLen: 1000 });
    alice = await createUser(api, issuer, 'plain-a');
    bob = await createUser(api, issuer, 'plain-b');
    aliceA = await seedProject(alice, 'Plain A');
    aliceB = await seedProject(alice, 'Plain B');
    bobX = await seedProject(bob, 'Plain X');
  });

  after(async () => {
    for (const c of clients) c.ws.terminate();
    await api?.close();
    redis?.disconnect();
    await admin.query('delete from projects where owner_id = any($1::uuid[])', [[alice?.id, bob?.id].filter(Boolean)]);
    await issuer?.stop();
    await admin.end();
  });

  it("the original README's client: subscribe to project-updates, get an ack and the user's events", async () => {
    const client = await authed(alice);
    client.send({ type: 'subscribe', channel: 'project-updates' });
    const ack = await client.next((m) => m.type === 'ack', 'ack');
    assert.deepEqual(ack, { type: 'ack', action: 'subscribe', channel: 'project-updates', replayed: 0 });
    const event = await publish(alice, aliceA);
    const got = await client.next((m) => m.type === 'project:update', 'the event');
    assert.deepEqual(got.data, event);
    await publish(bob, bobX);
    await publish(alice, aliceB, 40);
    await client.next((m) => m.type === 'project:update' && (m.data as ProjectEvent).projectId === aliceB, "alice's second event");
    assert.ok(!client.messages.some((m) => m.type === 'project:update' && (m.data as ProjectEvent).projectId === bobX), "never bob's");
    client.ws.close();
  });

  it('authenticates with a first {type:"auth"} message too; refuses commands before it and a bad token', async () => {
    const client = open(['pantheon.v1']);
    await client.opened;
    client.send({ type: 'subscribe', channel: 'project-updates' });
    assert.match(String((await client.next((m) => m.type === 'error', 'error')).message), /authenticate first/);
    client.send({ type: 'auth', token: alice.token });
    await client.next((m) => m.type === 'authenticated', 'authenticated');
    client.ws.close();

    const bad = open(['pantheon.v1']);
    await bad.opened;
    bad.send({ type: 'auth', token: 'not-a-token' });
    assert.equal((await bad.closedWith()).code, 4401);
    const forged = open(['pantheon.v1', `${alice.token.split('.').slice(0, 2).join('.')}.AAAA`]);
    await forged.opened;
    assert.equal((await forged.closedWith()).code, 4401);
  });

  it("subscribes to one own project with replay from lastSeq, and refuses someone else's", async () => {
    const first = await publish(alice, aliceA, 60);
    const second = await publish(alice, aliceA, 80);
    const client = await authed(alice);
    client.send({ type: 'subscribe', projectId: aliceA, lastSeq: first.seq });
    const ack = await client.next((m) => m.type === 'ack', 'ack');
    assert.equal(ack.replayed, 1);
    const replayed = await client.next((m) => m.type === 'project:update', 'replayed event');
    assert.deepEqual(replayed.data, second);

    client.send({ type: 'subscribe', projectId: bobX });
    const refused = await client.next((m) => m.type === 'error', 'refusal');
    assert.deepEqual(refused, { type: 'error', action: 'subscribe', projectId: bobX, message: 'project not found' });
    await publish(bob, bobX);
    client.send({ type: 'unsubscribe', projectId: aliceA });
    await client.next((m) => m.type === 'ack' && m.action === 'unsubscribe', 'unsubscribe ack');
    const before = client.messages.length;
    await publish(alice, aliceA, 90);
    client.send({ type: 'ping' });
    await client.next((m) => m.type === 'pong', 'pong');
    assert.ok(!client.messages.slice(before).some((m) => m.type === 'project:update'), 'nothing after unsubscribing');
    client.ws.close();
    await client.closedWith();
  });

  it('answers bad messages with errors, closes on an oversize one, limits sockets per user', async () => {
    const client = await authed(bob);
    client.ws.send('not json');
    assert.match(String((await client.next((m) => m.type === 'error', 'error')).message), /JSON/);
    client.send({ type: 'subscribe', channel: 'everything' });
    assert.match(String((await client.next((m) => m.type === 'error' && m.action === 'subscribe', 'channel error')).message), /unknown channel/);
    client.send({ type: 'teleport' });
    assert.match(String((await client.next((m) => /unknown type/.test(String(m.message)), 'unknown type')).message), /unknown type/);
    client.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(32 * 1024) }));
    assert.equal((await client.closedWith()).code, 1009, 'message too big');

    const held = [await authed(bob), await authed(bob), await authed(bob)];
    const fourth = open(['pantheon.v1', bob.token]);
    await fourth.opened;
    assert.equal((await fourth.closedWith()).code, 4429);
    for (const c of held) c.ws.close();
  });

  it("refuses a handshake that offers subprotocols without ours (a browser would otherwise fail silently)", async () => {
    const client = new PlainClient(new WebSocket(wsUrl, ['graphql-ws']));
    clients.push(client);
    await assert.rejects(client.opened, /400/);
  });

  it("works with Node's built-in WebSocket (undici) as well", async () => {
    const ws = new UndiciWebSocket(wsUrl, ['pantheon.v1', alice.token]);
    const messages: Message[] = [];
    ws.addEventListener('message', (e) => messages.push(JSON.parse(String(e.data)) as Message));
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve);
      ws.addEventListener('error', reject);
    });
    assert.equal(ws.protocol, 'pantheon.v1');
    await eventually(async () => messages.find((m) => m.type === 'authenticated'), 5000, 'authenticated');
    ws.send(JSON.stringify({ type: 'subscribe', channel: 'project-updates' }));
    await eventually(async () => messages.find((m) => m.type === 'ack'), 5000, 'ack');
    const event = await publish(alice, aliceB, 100);
    const got = await eventually(async () => messages.find((m) => m.type === 'project:update'), 5000, 'event');
    assert.deepEqual(got.data, event);
    ws.close();
  });

  it('leaves socket.io on the same path working', async () => {
    const socket = openSocket(api.url(), { path: PATH, auth: { token: alice.token } });
    try {
      await connected(socket);
      const ack = await subscribeSocketIo(socket, { channel: 'project-updates' });
      assert.equal(ack.ok, true);
      const received = new Promise<ProjectEvent>((resolve) => socket.once('project:update', resolve));
      const event = await publish(alice, aliceA, 100);
      assert.deepEqual(await received, event);
    } finally {
      socket.disconnect();
    }
  });
});
