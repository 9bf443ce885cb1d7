/**
 * `npm run bench:ws` — realtime fan-out: worker events (published with the worker's ProjectEventPublisher)
 * reaching 1,000 socket.io subscribers spread over 2 API replicas, each subscribed to its own project as real
 * clients are (handshake token, `subscribe` with `lastSeq`). Per-delivery latency = publish() called → the
 * client's `project:update` handler, on this process's clock. Baseline from the same run: the same publishes
 * received straight off Redis pub/sub by 2 subscriber connections (the bus, no socket.io). Also 1 replica, one
 * project with 1,000 sockets, and the plain WebSocket protocol. Not a test: it prints numbers, asserts nothing.
 */
import { ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import Redis from 'ioredis';
import type { Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { ProjectEvent, ProjectEventPublisher, SubscribeAck, userEventsChannel } from '@pantheon/events';
import { testUsername } from '../test/factories';
import { connected, openSocket, subscribe } from '../test/support/client';
import { adminPool, requiredEnv } from '../test/support/db';
import { OidcIssuerHandle, startOidcIssuer } from '../test/support/oidc';
import type { BroadcastSpan, ReplicaSpec } from './ws-replica';
import { percentile } from './support/stats';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const USERS = Number(process.env.BENCH_USERS ?? 50);
const PROJECTS_PER_USER = 2;
const PLAIN = Number(process.env.BENCH_PLAIN ?? 200);
/** A directory: the replicas run with --cpu-prof and write their profiles there. */
const CPU_PROF = process.env.BENCH_CPU_PROF;
/** Which figures to run (comma-separated): one (the goal's), spread, one-replica, plain. */
const FIGURES = new Set((process.env.BENCH_FIGURES ?? 'one,spread,one-replica,plain').split(','));
const CONNECT_CONCURRENCY = 50;
const ROUND_TIMEOUT_MS = 5000;
const ROUND_GAP_MS = 100;
const TOTAL = WARMUP + ROUNDS;
/** The last seq published per user: a subscriber passes it as lastSeq, as a client that saw it would (no replay). */
const lastSeqOf = new Map<string, number>();
if (TOTAL > 101) throw new RangeError('BENCH_WARMUP + BENCH_ROUNDS must be at most 101 (the round travels as progress 0-100)');

interface Replica {
  proc: ChildProcess;
  url: string;
}

interface Project {
  userId: string;
  projectId: string;
  token: string;
}

interface Stats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  delivered: number;
  expected: number;
  foreign: number;
  duplicates: number;
}

/** Replica environment: the limits raised are the per-address ones startTestApi already raises for tests. */
const REPLICA_ENV = { LOG_LEVEL: 'warn' };

function startReplica(issuer: OidcIssuerHandle, env: Record<string, string> = {}): Promise<Replica> {
  const spec: ReplicaSpec = { issuer: { authServerUrl: issuer.authServerUrl, realm: issuer.realm }, env: { ...REPLICA_ENV, ...env } };
  const proc = fork(join(__dirname, 'ws-replica.js'), [], {
    env: { ...process.env, BENCH_WS_REPLICA: JSON.stringify(spec) },
    execArgv: CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : [],
  });
  return new Promise((resolve, reject) => {
    proc.once('message', (msg: { url: string }) => resolve({ proc, url: msg.url }));
    proc.once('exit', (code) => reject(new Error(`replica exited (${code}) before it was ready`)));
  });
}

function stopReplica(r: Replica): Promise<void> {
  return new Promise((resolve) => {
    if (r.proc.exitCode !== null) return resolve();
    r.proc.once('exit', () => resolve());
    r.proc.send('stop');
  });
}

/** CPU time (user + system) a replica has used so far, in ms. */
function cpuOf(r: Replica): Promise<number> {
  return new Promise((resolve) => {
    r.proc.once('message', (msg: { cpu: NodeJS.CpuUsage }) => resolve(cpuMs(msg.cpu)));
    r.proc.send('cpu');
  });
}

/** The broadcasts a replica ran since the last ask. */
function spansOf(r: Replica): Promise<BroadcastSpan[]> {
  return new Promise((resolve) => {
    r.proc.once('message', (msg: { spans: BroadcastSpan[] }) => resolve(msg.spans));
    r.proc.send('spans');
  });
}

const micros = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * The server's share, from the replicas' broadcast spans: publish() → the replica starts the broadcast (Redis and
 * the adapter), → it has written the frame to all its sockets of the event's rooms, and the broadcast itself.
 */
function serverSide(spans: BroadcastSpan[], rounds: Rounds): string {
  const index = new Map(rounds.projects.map((p, i) => [p.projectId, i]));
  const [received, written, own]: number[][] = [[], [], []];
  for (const s of spans) {
    const p = index.get(s.projectId);
    if (p === undefined || s.progress < WARMUP) continue;
    const t0 = rounds.t0Mono[p * TOTAL + s.progress];
    received.push((s.start - t0) / 1000);
    written.push((s.end - t0) / 1000);
    own.push((s.end - s.start) / 1000);
  }
  const [r, w, o] = [received, written, own].map((l) => stats(l, l.length));
  return `server side (${spans.length} broadcasts): publish → replica has it p50${ms(r.p50)} p99${ms(r.p99)};  → written to all its sockets ` +
    `p50${ms(w.p50)} p99${ms(w.p99)} max${ms(w.max)};  one broadcast p50${ms(o.p50)} p99${ms(o.p99)}`;
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

function stats(latencies: number[], expected: number, foreign = 0, duplicates = 0): Stats {
  const s = latencies.sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, delivered: s.length, expected, foreign, duplicates };
}

const ms = (v: number) => `${v.toFixed(2)} ms`.padStart(10);
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

function line(label: string, s: Stats): string {
  const extra = s.foreign || s.duplicates ? `   FOREIGN ${s.foreign} duplicates ${s.duplicates}` : '';
  return `  ${label.padEnd(44)} p50${ms(s.p50)}  p95${ms(s.p95)}  p99${ms(s.p99)}  max${ms(s.max)}  ` +
    `delivered ${s.delivered}/${s.expected}${extra}   (load ${load()})`;
}

/** Runs WARMUP + ROUNDS rounds; a round publishes one event per project and waits for `perRound` deliveries. */
class Rounds {
  /** publish() called, per project and round. */
  readonly t0: Float64Array;
  /** The same on the monotonic clock in µs, which the replicas' broadcast spans use. */
  readonly t0Mono: Float64Array;
  private pending = 0;
  private done?: () => void;

  constructor(
    private readonly publisher: ProjectEventPublisher,
    readonly projects: Project[],
    private readonly perRound: number,
  ) {
    this.t0 = new Float64Array(projects.length * TOTAL);
    this.t0Mono = new Float64Array(projects.length * TOTAL);
  }

  /** Called by clients for each delivery (the only per-message work besides recording a timestamp). */
  delivered(): void {
    if (--this.pending === 0) this.done?.();
  }

  async run(label: string): Promise<number> {
    const profiler = CPU_PROF ? await profile() : undefined;
    const started = process.hrtime.bigint();
    let timeouts = 0;
    for (let round = 0; round < TOTAL; round++) {
      this.pending = this.perRound;
      const finished = new Promise<void>((resolve) => (this.done = resolve));
      const published = this.projects.map((p, i) => {
        this.t0Mono[i * TOTAL + round] = micros();
        this.t0[i * TOTAL + round] = performance.now();
        return this.publisher.publish({ userId: p.userId, projectId: p.projectId, status: 'provisioning', step: 'vm', progress: round });
      });
      for (const [i, e] of (await Promise.all(published)).entries()) {
        const userId = this.projects[i].userId;
        lastSeqOf.set(userId, Math.max(e.seq, lastSeqOf.get(userId) ?? 0));
      }
      const timer = delay(ROUND_TIMEOUT_MS).then(() => 'timeout' as const);
      if ((await Promise.race([finished, timer])) === 'timeout') timeouts++;
      await delay(ROUND_GAP_MS);
    }
    // The window on the monotonic clock V8's profiler stamps samples with, to cut the replicas' profiles.
    if (CPU_PROF) console.log(`  cpu-prof window ${started / 1000n}-${process.hrtime.bigint() / 1000n} µs`);
    await profiler?.(label);
    return timeouts;
  }
}

/** Starts profiling this process (the clients); the returned function writes the profile to CPU_PROF. */
async function profile(): Promise<(label: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<any>((resolve, reject) => session.post(method, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async (label) => {
    const { profile: result } = await post('Profiler.stop');
    writeFileSync(join(CPU_PROF!, `client-${label.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`), JSON.stringify(result));
    session.disconnect();
  };
}

/** socket.io subscribers: the receive time per socket and round (NaN = not received), filled by the handlers. */
class SocketIoSubscribers {
  readonly sockets: Socket[] = [];
  private readonly projectOf: number[] = [];
  private received = new Float64Array(0);
  foreign = 0;
  duplicates = 0;

  /** Connects `count` sockets, round-robin over `replicas` and over `projects`, each subscribed to its project. */
  async connect(replicas: Replica[], projects: Project[], count: number, rounds: () => Rounds): Promise<void> {
    this.received = new Float64Array(count * TOTAL).fill(NaN);
    const one = async (i: number): Promise<void> => {
      const p = i % projects.length;
      const project = projects[p];
      const socket = openSocket(replicas[i % replicas.length].url, { auth: { token: project.token } });
      this.sockets[i] = socket;
      this.projectOf[i] = p;
      await connected(socket);
      const base = i * TOTAL;
      socket.on('project:update', (e: ProjectEvent) => {
        if (e.projectId !== project.projectId) {
          this.foreign++;
          return;
        }
        const k = base + e.progress;
        if (this.received[k] === this.received[k]) this.duplicates++;
        else this.received[k] = performance.now();
        rounds().delivered();
      });
      const ack: SubscribeAck = await subscribe(socket, { projectId: project.projectId, lastSeq: lastSeqOf.get(project.userId) ?? 0 });
      if (!ack.ok) throw new Error(`subscribe refused: ${ack.error}`);
    };
    await inBatches(count, one);
  }

  stats(rounds: Rounds, _projects?: Project[]): Stats {
    const latencies: number[] = [];
    for (let i = 0; i < this.sockets.length; i++) {
      for (let r = WARMUP; r < TOTAL; r++) {
        const at = this.received[i * TOTAL + r];
        if (at === at) latencies.push(at - rounds.t0[this.projectOf[i] * TOTAL + r]);
      }
    }
    return stats(latencies, this.sockets.length * ROUNDS, this.foreign, this.duplicates);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.disconnect();
    // Let the replicas see the closes before the next figure.
    await delay(500);
  }
}

/** Plain-protocol (`ws`) subscribers: raw messages and their receive times, parsed only after the rounds. */
class PlainSubscribers {
  private readonly clients: { ws: WebSocket; project: number; times: number[]; raw: Buffer[] }[] = [];

  async connect(replicas: Replica[], projects: Project[], count: number, rounds: () => Rounds): Promise<void> {
    const one = async (i: number): Promise<void> => {
      const p = i % projects.length;
      const project = projects[p];
      const url = `${replicas[i % replicas.length].url.replace(/^http/, 'ws')}/ws`;
      const ws = new WebSocket(url, ['pantheon.v1', project.token]);
      const client = { ws, project: p, times: [] as number[], raw: [] as Buffer[] };
      this.clients[i] = client;
      const next = (): Promise<{ type: string; message?: string }> =>
        new Promise((resolve, reject) => {
          ws.once('message', (data) => resolve(JSON.parse(String(data))));
          ws.once('close', (code, reason) => reject(new Error(`plain socket closed ${code} ${String(reason)}`)));
        });
      const authenticated = next();
      await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
      if ((await authenticated).type !== 'authenticated') throw new Error('plain socket: not authenticated');
      const acked = next();
      ws.send(JSON.stringify({ type: 'subscribe', projectId: project.projectId, lastSeq: lastSeqOf.get(project.userId) ?? 0 }));
      const ack = await acked;
      if (ack.type !== 'ack') throw new Error(`plain subscribe refused: ${ack.message}`);
      ws.removeAllListeners('close');
      ws.on('message', (data: Buffer) => {
        client.times.push(performance.now());
        client.raw.push(data);
        rounds().delivered();
      });
    };
    await inBatches(count, one);
  }

  stats(rounds: Rounds, projects: Project[]): Stats {
    const latencies: number[] = [];
    let foreign = 0;
    let duplicates = 0;
    for (const c of this.clients) {
      const seen = new Set<number>();
      c.raw.forEach((data, j) => {
        const { data: e } = JSON.parse(String(data)) as { data: ProjectEvent };
        if (e.projectId !== projects[c.project].projectId) return void foreign++;
        if (seen.has(e.progress)) return void duplicates++;
        seen.add(e.progress);
        if (e.progress >= WARMUP) latencies.push(c.times[j] - rounds.t0[c.project * TOTAL + e.progress]);
      });
    }
    return stats(latencies, this.clients.length * ROUNDS, foreign, duplicates);
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.ws.close();
    await delay(500);
  }
}

async function inBatches(count: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECT_CONCURRENCY }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

/** The bus alone: the same publishes, received by 2 plain Redis subscriber connections (one per replica). */
async function redisBaseline(publisher: ProjectEventPublisher, projects: Project[]): Promise<Stats> {
  const prefix = requiredEnv('REDIS_PREFIX');
  const index = new Map(projects.map((p, i) => [p.projectId, i]));
  const subscribers = [0, 1].map(() => new Redis(requiredEnv('REDIS_URL')));
  const got: { at: number; message: string }[] = [];
  let rounds: Rounds | undefined;
  for (const sub of subscribers) {
    sub.on('pmessage', (_p: string, _c: string, message: string) => {
      got.push({ at: performance.now(), message });
      rounds!.delivered();
    });
    await sub.psubscribe(userEventsChannel(prefix, '*'));
  }
  rounds = new Rounds(publisher, projects, projects.length * subscribers.length);
  await rounds.run(`bus-${projects.length}`);
  await Promise.all(subscribers.map((s) => s.quit()));
  const latencies: number[] = [];
  for (const { at, message } of got) {
    const e = JSON.parse(message) as ProjectEvent;
    const p = index.get(e.projectId);
    if (p !== undefined && e.progress >= WARMUP) latencies.push(at - rounds.t0[p * TOTAL + e.progress]);
  }
  return stats(latencies, projects.length * subscribers.length * ROUNDS);
}

async function main(): Promise<void> {
  const prefix = requiredEnv('REDIS_PREFIX');
  // Tokens outlive the run, so no socket is closed at expiry mid-figure.
  const issuer = await startOidcIssuer({ accessTokenTtl: 3600 });
  const admin = adminPool();
  const redis = new Redis(requiredEnv('REDIS_URL'), { keyPrefix: `${prefix}:` });
  // As the worker builds it (apps/worker worker.module.ts).
  const publisher = new ProjectEventPublisher(redis, { redisPrefix: prefix, streamMaxLen: 1000 });
  let replicas: Replica[] = [];
  try {
    replicas = await Promise.all([startReplica(issuer), startReplica(issuer)]);

    /** A user known to the API (GET /api/user/me, as the factories' createUser) with `count` seeded projects. */
    const newUser = async (label: string, count: number): Promise<Project[]> => {
      const token = await issuer.token(testUsername(label));
      const res = await fetch(`${replicas[0].url}/api/user/me`, { headers: { Authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`GET /api/user/me: HTTP ${res.status}`);
      const { id: userId } = (await res.json()) as { id: string };
      const projects: Project[] = [];
      for (let i = 0; i < count; i++) {
        const { rows } = await admin.query('insert into projects (owner_id, name) values ($1, $2) returning id', [userId, `bench-${i}`]);
        projects.push({ userId, projectId: rows[0].id as string, token });
      }
      return projects;
    };
    const spread: Project[] = [];
    for (let u = 0; u < USERS; u++) spread.push(...(await newUser('ws', PROJECTS_PER_USER)));
    const [single] = await newUser('ws-one', 1);

    console.log(
      `ws fan-out benchmark: ${ROUNDS} rounds after ${WARMUP} warm-up; latency = ProjectEventPublisher.publish() called → ` +
        `the client's handler, same clock. 2 API replicas are child processes; all clients run in this process ` +
        `(handlers only record a timestamp, so client CPU is part of every figure). Limits raised: none beyond ` +
        `startTestApi's per-address ones (handshakes, auth failures, HTTP rate); token lifetime 3600 s. ${os.cpus().length} cores.`,
    );

    let current: Rounds | undefined;
    const active = () => current!;

    /**
     * One figure: the bus baseline for the same publishes, then `count` subscribers (socket.io or plain) on `on`,
     * with the CPU each process spent per round.
     */
    const figure = async (label: string, on: Replica[], projects: Project[], count: number, kind: 'socket.io' | 'plain') => {
      const bus = await redisBaseline(publisher, projects);
      const subs = kind === 'socket.io' ? new SocketIoSubscribers() : new PlainSubscribers();
      current = new Rounds(publisher, projects, count);
      await subs.connect(on, projects, count, active);
      await Promise.all(replicas.map(spansOf)); // drop those of the bus baseline and the subscribes
      const before = await Promise.all(replicas.map(cpuOf));
      const client = process.cpuUsage();
      const timeouts = await current.run(label);
      const clientMs = cpuMs(process.cpuUsage(client)) / TOTAL;
      const replicaMs = (await Promise.all(replicas.map(cpuOf))).map((after, i) => (after - before[i]) / TOTAL);
      const s = subs.stats(current, projects);
      // Only the replicas with sockets: the other one's broadcasts reach nobody.
      const spans = (await Promise.all(replicas.map(spansOf))).filter((_, i) => on.includes(replicas[i])).flat();
      await subs.close();
      console.log(line(label, s) + (timeouts ? `   ${timeouts} rounds timed out` : ''));
      console.log(
        `      bus alone (same ${projects.length} publish${projects.length > 1 ? 'es' : ''}/round → 2 Redis subscriber connections): ` +
          `p50${ms(bus.p50)}  p99${ms(bus.p99)}  → ratio p50 ${(s.p50 / bus.p50).toFixed(1)}x  p99 ${(s.p99 / bus.p99).toFixed(1)}x` +
          `   CPU/round: bench process (publisher + clients) ${clientMs.toFixed(1)} ms, replicas ${replicaMs.map((m) => `${m.toFixed(1)} ms`).join(' + ')}`,
      );
      if (kind === 'socket.io') console.log(`      ${serverSide(spans, current)}`);
      return s;
    };

    const perProject = SUBSCRIBERS / spread.length;
    if (FIGURES.has('one')) await figure(`socket.io 1 event → ${SUBSCRIBERS} sockets, 2 replicas (goal)`, replicas, [single], SUBSCRIBERS, 'socket.io');
    if (FIGURES.has('spread')) await figure(`socket.io ${USERS} users×${PROJECTS_PER_USER} projects×${perProject} sockets, 2 replicas`, replicas, spread, SUBSCRIBERS, 'socket.io');
    if (FIGURES.has('one-replica')) await figure(`socket.io 1 event → ${SUBSCRIBERS} sockets, 1 replica`, replicas.slice(0, 1), [single], SUBSCRIBERS, 'socket.io');
    if (PLAIN > 0 && FIGURES.has('plain')) await figure(`plain /ws ${PLAIN} sockets (${PLAIN / spread.length}/project), 2 replicas`, replicas, spread, PLAIN, 'plain');
  } finally {
    await Promise.all(replicas.map(stopReplica));
    redis.disconnect();
    await admin.end();
    await issuer.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
