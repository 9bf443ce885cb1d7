import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import type { Socket } from 'socket.io-client';
import { ProjectEvent, ProjectEventInput, ProjectEventPublisher, SubscribeAck } from '@pantheon/events';
import { createUser, testUsername, TestUser } from '../factories';
import { startTestApi, TestApi } from '../support/api';
import { connected, openSocket, SocketOpts, subscribe as subscribeSocket } from '../support/client';
import { adminPool, requiredEnv } from '../support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../support/oidc';

const WS_PATH = '/ws-test';
const EVENT_KEYS = ['at', 'progress', 'projectId', 'seq', 'status', 'step'];
const ACK_TIMEOUT_MS = 5000;

interface Client {
  socket: Socket;
  /** Every project:update this socket received, in order. */
  events: ProjectEvent[];
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const has = (c: Client, e: ProjectEvent): boolean => c.events.some((x) => x.seq === e.seq && x.projectId === e.projectId);

describe('realtime: project events over socket.io (/ws)', () => {
  const admin = adminPool();
  const prefix = requiredEnv('REDIS_PREFIX');
  // A second deployment sharing the Redis server; under the run's prefix so test/run.sh cleans its keys.
  const otherPrefix = `${prefix}:other`;
  const clients: Client[] = [];
  const redisClients: Redis[] = [];
  let issuer: OidcIssuerHandle;
  let api1: TestApi;
  let api2: TestApi;
  let apiOther: TestApi;
  let publisher: ProjectEventPublisher;
  let otherPublisher: ProjectEventPublisher;
  let alice: TestUser;
  let bob: TestUser;
  let aliceA: string;
  let aliceB: string;
  let bobX: string;

  async function boot(env: Record<string, string> = {}): Promise<TestApi> {
    const api = await startTestApi(issuer, { WS_PATH, ...env });
    // startTestApi only initialises; sockets need a listening server.
    await api.listen();
    return api;
  }

  /** A socket with no credentials but those in `opts` (raw handshakes: these tests are about auth itself). */
  function open(api: TestApi, opts: SocketOpts): Client {
    const socket = openSocket(api.url(), { path: WS_PATH, ...opts });
    const client: Client = { socket, events: [] };
    socket.on('project:update', (e: ProjectEvent) => client.events.push(e));
    clients.push(client);
    return client;
  }

  async function connect(api: TestApi, token: string, opts: SocketOpts = {}): Promise<Client> {
    const client = open(api, { auth: { token }, ...opts });
    await connected(client.socket);
    return client;
  }

  /** Resolves with the connect_error of a handshake that must be refused. */
  function refused(api: TestApi, opts: SocketOpts): Promise<{ client: Client; error: Error }> {
    const client = open(api, opts);
    return new Promise((resolve, reject) => {
      client.socket.once('connect', () => reject(new Error('connected, expected a refusal')));
      client.socket.once('connect_error', (error) => resolve({ client, error }));
    });
  }

  const subscribe = (client: Client, req: unknown): Promise<SubscribeAck> => subscribeSocket(client.socket, req);

  async function seedProject(owner: TestUser, name: string): Promise<string> {
    const { rows } = await admin.query('insert into projects (owner_id, name) values ($1, $2) returning id', [owner.id, name]);
    return rows[0].id as string;
  }

  const publish = (owner: TestUser, projectId: string, over: Partial<ProjectEventInput> = {}): Promise<ProjectEvent> =>
    publisher.publish({ userId: owner.id, projectId, status: 'provisioning', step: 'network', progress: 20, ...over });

  function redisFor(keyPrefix: string): Redis {
    const client = new Redis(requiredEnv('REDIS_URL'), { keyPrefix: `${keyPrefix}:` });
    redisClients.push(client);
    return client;
  }

  before(async () => {
    issuer = await startOidcIssuer();
    api1 = await boot();
    api2 = await boot({ CORS_ORIGINS: 'http://app.test.local' });
    apiOther = await boot({ REDIS_PREFIX: otherPrefix });
    publisher = new ProjectEventPublisher(redisFor(prefix), { redisPrefix: prefix, streamMaxLen: 1000 });
    otherPublisher = new ProjectEventPublisher(redisFor(otherPrefix), { redisPrefix: otherPrefix, streamMaxLen: 1000 });
    alice = await createUser(api1, issuer, 'alice');
    bob = await createUser(api1, issuer, 'bob');
    aliceA = await seedProject(alice, 'Alpha');
    aliceB = await seedProject(alice, 'Bravo');
    bobX = await seedProject(bob, 'Xray');
  });

  after(async () => {
    for (const c of clients) c.socket.disconnect();
    for (const api of [api1, api2, apiOther]) await api?.close();
    await Promise.all(redisClients.map((c) => c.quit()));
    await issuer?.stop();
    await admin.end();
  });

  it('refuses handshakes without a valid token or the platform role, so they never get a room', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = issuer.baseClaims(alice.username);
    const noRole = await issuer.token(testUsername('norole'), { roles: ['offline_access'] });
    const unauthorized = [
      {},
      { auth: { token: '' } },
      { auth: { token: 'not-a-jwt' } },
      { auth: { token: await issuer.sign(claims, { key: 'foreign' }) } },
      { auth: { token: await issuer.sign({ ...claims, iat: now - 600, exp: now - 60 }) } },
      { auth: { token: await issuer.sign({ ...claims, aud: ['account'] }) } },
      { extraHeaders: { Authorization: 'Basic dXNlcjpwYXNz' } },
    ];
    const rejected: Client[] = [];
    for (const opts of unauthorized) {
      const { client, error } = await refused(api1, opts);
      assert.equal(error.message, 'unauthorized', JSON.stringify(opts));
      rejected.push(client);
    }
    const forbidden = await refused(api1, { auth: { token: noRole } });
    assert.equal(forbidden.error.message, 'forbidden');
    rejected.push(forbidden.client);

    // A refused client cannot subscribe either: nothing it sends reaches the gateway.
    const watcher = await connect(api1, alice.token);
    assert.equal((await subscribe(watcher, { channel: 'project-updates' })).ok, true);
    const e = await publish(alice, aliceA);
    await until('the event on an authenticated socket', () => has(watcher, e));
    for (const c of rejected) {
      assert.equal(c.socket.connected, false);
      assert.deepEqual(c.events, []);
    }

    const logs = api1.logs.join('\n');
    assert.match(logs, /socket refused/);
    for (const opts of [...unauthorized, { auth: { token: noRole } }]) {
      const token = (opts as { auth?: { token?: string } }).auth?.token;
      if (token) assert.ok(!logs.includes(token), 'no token in the logs');
    }
  });

  it('accepts auth.token and an Authorization header, and logs the connection with the user id only', async () => {
    const viaAuth = await connect(api1, alice.token);
    const viaHeader = await connect(api1, 'unused', { auth: {}, extraHeaders: { Authorization: `Bearer ${alice.token}` } });
    assert.equal((await subscribe(viaHeader, { channel: 'project-updates' })).ok, true);
    const e = await publish(alice, aliceA);
    await until('the event', () => has(viaHeader, e));
    const connected = api1.logs
      .map((l) => JSON.parse(l) as { msg?: string; userId?: string; socketId?: string })
      .filter((l) => l.msg === 'socket connected' && l.socketId === viaAuth.socket.id);
    assert.equal(connected.length, 1);
    assert.equal(connected[0].userId, alice.id);
    assert.ok(!api1.logs.join('\n').includes(alice.token), 'no token in the logs');
  });

  it('project-updates delivers the events of all own projects and none of another user\'s', async () => {
    const aliceSocket = await connect(api1, alice.token);
    const bobSocket = await connect(api1, bob.token);
    const ack = await subscribe(aliceSocket, { channel: 'project-updates' });
    assert.deepEqual(ack, { ok: true, room: `user:${alice.id}`, replayed: 0 });
    assert.equal((await subscribe(bobSocket, { channel: 'project-updates' })).ok, true);

    const a1 = await publish(alice, aliceA);
    const x1 = await publish(bob, bobX);
    const b1 = await publish(alice, aliceB, { status: 'running', step: 'ready', progress: 100 });
    await until('both users\' events', () => has(aliceSocket, b1) && has(bobSocket, x1));
    assert.deepEqual(aliceSocket.events, [a1, b1]);
    assert.deepEqual(bobSocket.events, [x1]);
  });

  it('answers "project not found" for another user\'s project or a missing one, and joins nothing', async () => {
    const client = await connect(api1, alice.token);
    assert.deepEqual(await subscribe(client, { projectId: bobX }), { ok: false, error: 'project not found' });
    assert.deepEqual(await subscribe(client, { projectId: bobX.toUpperCase(), lastSeq: 0 }), { ok: false, error: 'project not found' });
    assert.deepEqual(await subscribe(client, { projectId: '00000000-0000-4000-8000-000000000000' }), { ok: false, error: 'project not found' });
    assert.deepEqual(await subscribe(client, { projectId: aliceA }), { ok: true, room: `project:${aliceA}`, replayed: 0 });

    const x = await publish(bob, bobX);
    const marker = await publish(alice, aliceA);
    await until('the own project\'s event', () => has(client, marker));
    assert.ok(!has(client, x), 'nothing of bob\'s project');
    assert.deepEqual(client.events, [marker]);
  });

  it('refuses malformed requests and rooms named by the client', async () => {
    const client = await connect(api1, alice.token);
    for (const req of [
      { room: `user:${bob.id}` },
      { channel: `user:${bob.id}` },
      { channel: 'project-updates', projectId: aliceA },
      { projectId: `project:${bobX}` },
      { channel: 'project-updates', lastSeq: -5 },
      { channel: 'project-updates', extra: true },
      'project-updates',
      null,
    ]) {
      const ack = await subscribe(client, req);
      assert.equal(ack.ok, false, JSON.stringify(req));
      assert.ok(!ack.ok && typeof ack.error === 'string' && ack.error.length > 0);
    }
    const x = await publish(bob, bobX);
    // The socket joined nothing: a subscription made now sees only what comes next.
    assert.equal((await subscribe(client, { projectId: aliceA })).ok, true);
    const marker = await publish(alice, aliceA);
    await until('the marker', () => has(client, marker));
    assert.deepEqual(client.events, [marker]);
    assert.ok(!has(client, x));
  });

  it('delivers events in publish order with increasing seq and exactly the ProjectEvent fields', async () => {
    const client = await connect(api1, alice.token);
    assert.equal((await subscribe(client, { projectId: aliceB })).ok, true);
    const published: ProjectEvent[] = [];
    for (let i = 0; i <= 20; i++) published.push(await publish(alice, aliceB, { progress: i * 5 }));
    published.push(await publish(alice, aliceB, { status: 'failed', step: 'vm', progress: 60, error: 'The VM did not start' }));
    await until('all events', () => client.events.length === published.length);
    assert.deepEqual(client.events, published);
    for (let i = 1; i < client.events.length; i++) assert.ok(client.events[i].seq > client.events[i - 1].seq);
    for (const e of client.events.slice(0, -1)) assert.deepEqual(Object.keys(e).sort(), EVENT_KEYS);
    assert.deepEqual(Object.keys(client.events[client.events.length - 1]).sort(), [...EVENT_KEYS, 'error'].sort());
  });

  it('replays exactly the missed events when a client reconnects with lastSeq (to either instance)', async () => {
    const first = await connect(api1, alice.token);
    assert.equal((await subscribe(first, { channel: 'project-updates' })).ok, true);
    const seen = await publish(alice, aliceA);
    await until('the last seen event', () => has(first, seen));
    first.socket.disconnect();

    const missed = [
      await publish(alice, aliceA, { progress: 40, step: 'share' }),
      await publish(alice, aliceB, { progress: 40, step: 'share' }),
      await publish(bob, bobX),
      await publish(alice, aliceA, { progress: 60, step: 'vm' }),
    ];
    const alices = missed.filter((_, i) => i !== 2);

    const again = await connect(api2, alice.token);
    assert.deepEqual(await subscribe(again, { channel: 'project-updates', lastSeq: seen.seq }), {
      ok: true,
      room: `user:${alice.id}`,
      replayed: 3,
    });
    // The replay is emitted before the acknowledgement, so it has arrived by now.
    assert.deepEqual(again.events, alices);

    const projectOnly = await connect(api1, alice.token);
    assert.deepEqual(await subscribe(projectOnly, { projectId: aliceA, lastSeq: seen.seq }), {
      ok: true,
      room: `project:${aliceA}`,
      replayed: 2,
    });
    assert.deepEqual(projectOnly.events, alices.filter((e) => e.projectId === aliceA));

    const upToDate = await connect(api1, alice.token);
    assert.deepEqual(await subscribe(upToDate, { channel: 'project-updates', lastSeq: alices[2].seq }), {
      ok: true,
      room: `user:${alice.id}`,
      replayed: 0,
    });
    const live = await publish(alice, aliceB);
    await until('a live event after the replay', () => has(again, live) && has(upToDate, live));
    assert.deepEqual(upToDate.events, [live]);
  });

  it('unsubscribe leaves the room', async () => {
    const client = await connect(api1, alice.token);
    assert.equal((await subscribe(client, { projectId: aliceA })).ok, true);
    assert.equal((await subscribe(client, { projectId: aliceB })).ok, true);
    assert.deepEqual(await client.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('unsubscribe', { projectId: aliceA }), { ok: true });
    assert.deepEqual(await client.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('unsubscribe', { room: 'x' }), { ok: false });
    const a = await publish(alice, aliceA);
    const b = await publish(alice, aliceB);
    await until('the still-subscribed project', () => has(client, b));
    assert.deepEqual(client.events, [b]);
    assert.ok(!has(client, a));
  });

  it('fans events out through Redis to sockets on both API instances; another REDIS_PREFIX gets none', async () => {
    const on1 = await connect(api1, alice.token);
    const on2 = await connect(api2, alice.token);
    const elsewhere = await connect(apiOther, alice.token);
    assert.equal((await subscribe(on1, { channel: 'project-updates' })).ok, true);
    assert.equal((await subscribe(on2, { projectId: aliceA })).ok, true);
    assert.equal((await subscribe(elsewhere, { channel: 'project-updates' })).ok, true);

    const e = await publish(alice, aliceA);
    // Published after `e` on another connection: Redis delivers it to the other deployment's subscriber after
    // anything of `e` that matched, so once it has arrived, `e` would have too.
    const otherMarker = await otherPublisher.publish({ userId: alice.id, projectId: aliceA, status: 'running', step: 'ready', progress: 100 });
    await until('fan-out', () => has(on1, e) && has(on2, e) && has(elsewhere, otherMarker));
    assert.deepEqual(on1.events, [e]);
    assert.deepEqual(on2.events, [e]);
    assert.deepEqual(elsewhere.events, [otherMarker]);
  });

  it('serves socket.io on WS_PATH only', async () => {
    const { error } = await refused(api1, { path: '/socket.io', auth: { token: alice.token } });
    assert.ok(error instanceof Error);
    const ok = await connect(api1, alice.token);
    assert.equal(ok.socket.connected, true);
  });

  it('allows cross-origin browsers only from CORS_ORIGINS', async () => {
    const handshake = (origin: string) =>
      fetch(`${api2.url()}${WS_PATH}/?EIO=4&transport=polling`, { headers: { Origin: origin } });
    const allowed = await handshake('http://app.test.local');
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://app.test.local');
    assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
    await allowed.body?.cancel();
    const other = await handshake('http://evil.test.local');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    await other.body?.cancel();
  });

  it('limits subscribe floods per socket without touching the database', async () => {
    const client = await connect(api1, alice.token);
    for (let i = 0; i < 30; i++) assert.equal((await subscribe(client, { channel: 'project-updates' })).ok, true);
    assert.deepEqual(await subscribe(client, { projectId: aliceA }), { ok: false, error: 'too many requests' });
    assert.deepEqual(await subscribe(client, { channel: 'project-updates' }), { ok: false, error: 'too many requests' });
  });

  it('closes a socket when its token expires', { timeout: 15_000 }, async () => {
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await issuer.sign({ ...issuer.baseClaims(alice.username), iat: now, exp: now + 2 });
    const client = await connect(api1, shortLived);
    const reason = await new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
    assert.equal(reason, 'io server disconnect');
  });
});
