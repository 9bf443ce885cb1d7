import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, Server as HttpServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import { Server } from 'socket.io';
import type { Socket } from 'socket.io-client';
import {
  eventKeys,
  ProjectEvent,
  ProjectEventInput,
  ProjectEventPublisher,
  ProjectEventReplay,
  projectRoom,
  socketIoKey,
  userRoom,
  WS_NAMESPACE,
} from '@pantheon/events';
import { connected, openSocket } from '../../support/client';
import { requiredEnv } from '../../support/db';

const EVENT_KEYS = ['at', 'progress', 'projectId', 'seq', 'status', 'step'];

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A socket.io server wired like the API's (Redis adapter, same channel key), joining rooms from the query. */
async function startRoomServer(redisPrefix: string): Promise<{ url: string; close(): Promise<void> }> {
  const pub = new Redis(requiredEnv('REDIS_URL'));
  const sub = pub.duplicate();
  const http: HttpServer = createServer();
  const server = new Server(http, { adapter: createAdapter(pub, sub, { key: socketIoKey(redisPrefix) }) });
  server.of(WS_NAMESPACE).on('connection', (socket) => {
    void socket.join(String(socket.handshake.query.rooms).split(','));
  });
  // The adapter subscribes asynchronously; its request channel (subscribed after the broadcast pattern, on
  // the same connection) tells when it listens.
  await until('adapter subscriptions', async () => (await pub.pubsub('NUMSUB', `${socketIoKey(redisPrefix)}-request#${WS_NAMESPACE}#`))[1] === 1);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([pub.quit(), sub.quit()]);
    },
  };
}

describe('project events: Redis stream, seq and broadcast', () => {
  // Under the run's prefix, so test/run.sh removes every key afterwards.
  const prefix = `${requiredEnv('REDIS_PREFIX')}:events-it-${randomBytes(4).toString('hex')}`;
  const otherPrefix = `${prefix}-other`;
  const clients: Redis[] = [];
  const sockets: Socket[] = [];
  const servers: { close(): Promise<void> }[] = [];
  let redis: Redis;
  let publisher: ProjectEventPublisher;
  let replay: ProjectEventReplay;

  const client = (keyPrefix?: string): Redis => {
    const c = new Redis(requiredEnv('REDIS_URL'), keyPrefix ? { keyPrefix: `${keyPrefix}:` } : {});
    clients.push(c);
    return c;
  };
  const input = (userId: string, projectId: string, over: Partial<ProjectEventInput> = {}): ProjectEventInput => ({
    userId,
    projectId,
    status: 'provisioning',
    step: 'network',
    progress: 20,
    ...over,
  });

  async function connect(url: string, rooms: string[]): Promise<{ socket: Socket; events: ProjectEvent[] }> {
    const socket = openSocket(url, { query: { rooms: rooms.join(',') } });
    sockets.push(socket);
    const events: ProjectEvent[] = [];
    socket.on('project:update', (e: ProjectEvent) => events.push(e));
    await connected(socket);
    return { socket, events };
  }

  before(() => {
    redis = client(prefix);
    publisher = new ProjectEventPublisher(redis, { redisPrefix: prefix, streamMaxLen: 1000 });
    replay = new ProjectEventReplay(redis, { redisPrefix: prefix });
  });

  after(async () => {
    for (const s of sockets) s.disconnect();
    for (const s of servers) await s.close();
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('refuses a client whose keyPrefix is not the deployment prefix', () => {
    assert.throws(() => new ProjectEventPublisher(client(), { redisPrefix: prefix, streamMaxLen: 10 }), /keyPrefix/);
    assert.throws(() => new ProjectEventPublisher(client(otherPrefix), { redisPrefix: prefix, streamMaxLen: 10 }), /keyPrefix/);
    assert.throws(() => new ProjectEventReplay(client(), { redisPrefix: prefix }), /keyPrefix/);
  });

  it('rejects ids that are not canonical UUIDs, unknown statuses and bad progress', async () => {
    const [u, p] = [randomUUID(), randomUUID()];
    await assert.rejects(publisher.publish(input('*', p)), TypeError);
    await assert.rejects(publisher.publish(input(u.toUpperCase(), p)), TypeError);
    await assert.rejects(publisher.publish(input(u, 'x')), TypeError);
    await assert.rejects(publisher.publish(input(u, p, { status: 'exploded' as never })), TypeError);
    await assert.rejects(publisher.publish(input(u, p, { progress: 101 })), TypeError);
    await assert.rejects(publisher.publish(input(u, p, { progress: 2.5 })), TypeError);
    assert.equal(await redis.exists(eventKeys.seq(u), eventKeys.stream(u)), 0, 'nothing stored');
  });

  it('numbers each user\'s events 1, 2, 3… with stream ids <seq>-0, under the deployment prefix', async () => {
    const [alice, bob, p] = [randomUUID(), randomUUID(), randomUUID()];
    const a1 = await publisher.publish(input(alice, p));
    const a2 = await publisher.publish(input(alice, p, { status: 'failed', step: 'vm', progress: 60, error: 'VM did not start' }));
    const b1 = await publisher.publish(input(bob, p));
    assert.deepEqual([a1.seq, a2.seq, b1.seq], [1, 2, 1]);
    assert.deepEqual(Object.keys(a1).sort(), EVENT_KEYS);
    assert.deepEqual(Object.keys(a2).sort(), [...EVENT_KEYS, 'error'].sort());
    assert.ok(!Number.isNaN(Date.parse(a1.at)));

    const raw = new Redis(requiredEnv('REDIS_URL'));
    clients.push(raw);
    const entries = (await raw.xrange(`${prefix}:events:user:${alice}`, '-', '+')) as [string, string[]][];
    assert.deepEqual(entries.map(([id]) => id), ['1-0', '2-0']);
    const stored = JSON.parse(entries[1][1][1]) as Record<string, unknown>;
    assert.equal(stored.userId, undefined, 'the owner is in the key, not the payload');
    assert.deepEqual({ ...stored, seq: 2 }, a2);
    assert.equal(await raw.get(`${prefix}:events:seq:${alice}`), '2');
  });

  it('keeps seqs unique and gap-free under concurrent publishers on separate connections', async () => {
    const [user, p] = [randomUUID(), randomUUID()];
    const second = new ProjectEventPublisher(client(prefix), { redisPrefix: prefix, streamMaxLen: 1000 });
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? publisher : second).publish(input(user, p, { progress: i }))),
    );
    assert.deepEqual(results.map((e) => e.seq).sort((x, y) => x - y), Array.from({ length: 60 }, (_, i) => i + 1));
    const stored = await replay.readSince(user, 0);
    assert.deepEqual(stored.map((e) => e.seq), Array.from({ length: 60 }, (_, i) => i + 1));
    const bySeq = new Map(results.map((e) => [e.seq, e]));
    for (const e of stored) assert.deepEqual(e, bySeq.get(e.seq));
  });

  it('never reuses a seq, even when the counter key is lost', async () => {
    const [user, p] = [randomUUID(), randomUUID()];
    for (let i = 0; i < 3; i++) await publisher.publish(input(user, p));
    await redis.del(eventKeys.seq(user));
    assert.equal((await publisher.publish(input(user, p))).seq, 4);
    assert.equal((await publisher.publish(input(user, p))).seq, 5);
  });

  it('replays exactly the events after a seq, optionally for one project, in bounded pages', async () => {
    const [user, p1, p2] = [randomUUID(), randomUUID(), randomUUID()];
    const roomy = new ProjectEventPublisher(redis, { redisPrefix: prefix, streamMaxLen: 5000 });
    const published: ProjectEvent[] = [];
    // More than one XRANGE page, with p2's events sparse, so the project filter has to read on.
    for (let i = 0; i < 1203; i++) published.push(await roomy.publish(input(user, i % 100 === 0 ? p2 : p1, { progress: i % 101 })));

    assert.deepEqual(await replay.readSince(user, 1200), published.slice(1200));
    assert.deepEqual(await replay.readSince(user, 1203), []);
    assert.deepEqual(await replay.readSince(randomUUID(), 0), [], 'a user without events');
    assert.deepEqual(await replay.readSince(user, 0, p2), published.filter((e) => e.projectId === p2));
    assert.deepEqual(await replay.readSince(user, 150, p2), published.filter((e) => e.projectId === p2 && e.seq > 150));
    const firstPage = await replay.readSince(user, 0);
    assert.equal(firstPage.length, 1000, 'at most REPLAY_LIMIT');
    assert.deepEqual(firstPage, published.slice(0, 1000));
    assert.deepEqual(await replay.readSince(user, firstPage[999].seq), published.slice(1000), 'continues from the last seq');
    assert.deepEqual(await replay.readSince(user, 10, undefined, 5), published.slice(10, 15));
    await assert.rejects(replay.readSince(user, -1), RangeError);
    await assert.rejects(replay.readSince(user, 1.5), RangeError);
  });

  it('caps each user\'s stream near streamMaxLen while seq keeps counting', async () => {
    const [user, p] = [randomUUID(), randomUUID()];
    const small = new ProjectEventPublisher(redis, { redisPrefix: prefix, streamMaxLen: 10 });
    let last: ProjectEvent | undefined;
    for (let i = 0; i < 400; i++) last = await small.publish(input(user, p));
    assert.equal(last?.seq, 400);
    const length = await redis.xlen(eventKeys.stream(user));
    // `MAXLEN ~` trims whole stream nodes (100 entries by default), so the length stays within one node of the cap.
    assert.ok(length >= 10 && length <= 110, `stream length ${length}`);
    const kept = await replay.readSince(user, 0);
    assert.equal(kept[kept.length - 1].seq, 400);
  });

  it('broadcasts to the user and project rooms through the socket.io Redis adapter, once per socket, per prefix', async () => {
    const [alice, bob, p1, p2] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const main = await startRoomServer(prefix);
    const other = await startRoomServer(otherPrefix);
    servers.push(main, other);
    const inUserRoom = await connect(main.url, [userRoom(alice)]);
    const inProjectRoom = await connect(main.url, [projectRoom(p1)]);
    const inBoth = await connect(main.url, [userRoom(alice), projectRoom(p1)]);
    const bobs = await connect(main.url, [userRoom(bob)]);
    const otherDeployment = await connect(other.url, [userRoom(alice), projectRoom(p1)]);
    const otherPublisher = new ProjectEventPublisher(client(otherPrefix), { redisPrefix: otherPrefix, streamMaxLen: 100 });

    const e1 = await publisher.publish(input(alice, p1));
    const e2 = await publisher.publish(input(alice, p2, { status: 'running', step: 'ready', progress: 100 }));
    // Markers, published last: once a socket has its marker, whatever was sent to it before has arrived
    // (one Redis order, one socket connection).
    const marker = await publisher.publish(input(alice, p1, { status: 'running', step: 'ready', progress: 100 }));
    const bobMarker = await publisher.publish(input(bob, p2));
    const otherMarker = await otherPublisher.publish(input(alice, p1));

    const got = (s: { events: ProjectEvent[] }, e: ProjectEvent) => s.events.some((x) => x.seq === e.seq && x.projectId === e.projectId);
    await until('markers', () =>
      [inUserRoom, inProjectRoom, inBoth].every((s) => got(s, marker)) && got(bobs, bobMarker) && got(otherDeployment, otherMarker),
    );
    assert.deepEqual(inUserRoom.events, [e1, e2, marker]);
    assert.deepEqual(inProjectRoom.events, [e1, marker]);
    assert.deepEqual(inBoth.events, [e1, e2, marker], 'a socket in both rooms gets each event once');
    assert.deepEqual(bobs.events, [bobMarker], 'no other user\'s events');
    assert.deepEqual(otherDeployment.events, [otherMarker], 'another REDIS_PREFIX sees nothing of this one');
    for (const e of inBoth.events) assert.deepEqual(Object.keys(e).sort(), EVENT_KEYS);
  });
});
