// In-memory stand-ins for the worker's external systems, for the processors' unit specs (never imported by
// production code). Each keeps the contract the processors rely on, the way the real one behaves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AppConfig, loadConfig } from '@pantheon/config';
import { KeyRing, toolsApiCredential } from '@pantheon/crypto';
import type { ProjectLifecycleUpdate, ProjectRecord } from '@pantheon/db';
import type { EnqueueResult, ProjectEventInput, ProjectJobData, QueueJob } from '@pantheon/events';
import { ContainerRuntime, isProjectId, LABEL_KEYS } from '@pantheon/runtime';
import { MetricsRegistry } from '@pantheon/metrics';
import { InMemoryRuntime } from '@pantheon/runtime/testing';
import { DeprovisionProcessor } from './processors/deprovision.processor';
import { ProvisionProcessor } from './processors/provision.processor';
import { ReconcileProcessor } from './processors/reconcile.processor';
import type { ReadinessResult } from './provisioning/health';
import { platformNetworkSpec, toolsNetworkSpec } from './provisioning/project-plan';
import { WorkerMetrics } from './worker.metrics';

// Processors log through Nest's static logger; outside an app that would print every line of a spec.
Logger.overrideLogger(false);

export const OWNER = '7c1d2e3f-1111-4222-8333-944455566677';
export const BACKEND = 'pantheon-backend-spec';
const SPEC_MASTER_KEYS = KeyRing.generateSpec(1);

/** A valid config without the process's environment; `env` overrides. */
export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: 'postgresql://a@127.0.0.1/x',
    DATABASE_MIGRATION_URL: 'postgresql://b@127.0.0.1/x',
    KEYCLOAK_URL: 'http://127.0.0.1:1',
    SHARE_ROOT: '/srv/shares',
    OEM_DIR: '/srv/oem',
    TOOLS_CREDENTIALS_ROOT: '/srv/tools-credentials',
    PANTHEON_MASTER_KEYS: SPEC_MASTER_KEYS,
    ...env,
  });
}

/** projects as ProjectSystemRepository sees them (pantheon_worker), with the same conditional writes. */
export class InMemoryProjectStore {
  private readonly rows = new Map<string, ProjectRecord>();
  readonly toolsTokens: { projectId: string; prefix: string; revoked: boolean; expiresAt: Date }[] = [];

  add(p: Partial<ProjectRecord> & { id: string }): ProjectRecord {
    const now = new Date();
    const row: ProjectRecord = {
      ownerId: OWNER, name: 'spec', status: 'queued', progressStep: null, progress: 0, attempts: 0, subnetIndex: 7,
      vmSpec: { ram_gb: 8, cpu_cores: 4, disk_gb: 64, windows_version: '11' }, lastError: null, idempotencyKey: null,
      tokenBudget: null, createdAt: now, updatedAt: now, deletedAt: null, ...p,
    };
    this.rows.set(row.id, row);
    return structuredClone(row);
  }

  /** What the API's DELETE does (ProjectRepository.markDeleting). */
  markDeleting(id: string): void {
    this.write(id, { status: 'deleting', progressStep: 'deprovision' });
  }

  async get(id: string): Promise<ProjectRecord | null> {
    const row = this.rows.get(id);
    return row ? structuredClone(row) : null;
  }

  async updateUnlessDeleting(id: string, data: ProjectLifecycleUpdate): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.deletedAt !== null || row.status === 'deleting' || row.status === 'deleted') return false;
    this.write(id, data);
    return true;
  }

  async countAttempt(id: string): Promise<number> {
    return this.write(id, { attempts: this.row(id).attempts + 1 }).attempts;
  }

  async finishDeletion(id: string): Promise<void> {
    for (const t of this.toolsTokens) if (t.projectId === id) t.revoked = true;
    this.write(id, { status: 'deleted', subnetIndex: null, deletedAt: new Date(), progress: 100, progressStep: 'deprovision' });
  }

  async issueToolsToken(p: { projectId: string; prefix: string; expiresAt: Date }): Promise<void> {
    for (const t of this.toolsTokens) if (t.projectId === p.projectId) t.revoked = true;
    this.toolsTokens.push({ projectId: p.projectId, prefix: p.prefix, revoked: false, expiresAt: p.expiresAt });
  }

  async revokeToolsTokens(projectId: string): Promise<number> {
    const live = this.toolsTokens.filter((t) => t.projectId === projectId && !t.revoked);
    for (const t of live) t.revoked = true;
    return live.length;
  }

  async toolsTokenExpiries(ids: string[]): Promise<Map<string, { ownerId: string; expiresAt: Date | null }>> {
    const out = new Map<string, { ownerId: string; expiresAt: Date | null }>();
    for (const id of ids) {
      const row = this.rows.get(id);
      if (!row || row.status !== 'running' || row.deletedAt !== null) continue;
      const live = this.toolsTokens.filter((t) => t.projectId === id && !t.revoked && t.expiresAt.getTime() > Date.now());
      const latest = live.map((t) => t.expiresAt).sort((a, b) => b.getTime() - a.getTime())[0] ?? null;
      out.set(id, { ownerId: row.ownerId, expiresAt: latest });
    }
    return out;
  }

  async listStuck(statuses: string[], before: Date): Promise<ProjectRecord[]> {
    return [...this.rows.values()]
      .filter((p) => statuses.includes(p.status) && p.deletedAt === null && p.updatedAt < before)
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .map((p) => structuredClone(p));
  }

  async listFailedHoldingLease(before: Date): Promise<ProjectRecord[]> {
    return [...this.rows.values()]
      .filter((p) => p.status === 'failed' && p.deletedAt === null && p.subnetIndex !== null && p.updatedAt < before)
      .map((p) => structuredClone(p));
  }

  /** Like ProjectSystemRepository: only while the project is still failed and holds a lease. */
  async releaseFailedLease(id: string, lastError: string): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.status !== 'failed' || row.deletedAt !== null || row.subnetIndex === null) return false;
    this.write(id, { subnetIndex: null, lastError });
    return true;
  }

  async liveIds(ids: string[]): Promise<Set<string>> {
    // PostgreSQL refuses the whole query when one id is not a uuid.
    const bad = ids.find((id) => !isProjectId(id));
    if (bad !== undefined) throw new Error(`invalid input syntax for type uuid: "${bad}"`);
    return new Set(ids.filter((id) => this.rows.get(id)?.deletedAt === null && this.rows.get(id)?.status !== 'deleted'));
  }

  private row(id: string): ProjectRecord {
    const row = this.rows.get(id);
    // Prisma's update() throws P2025 for a missing row.
    if (!row) throw new Error(`no project ${id}`);
    return row;
  }

  private write(id: string, data: ProjectLifecycleUpdate): ProjectRecord {
    return Object.assign(this.row(id), data, { updatedAt: new Date() });
  }
}

/** ProjectJobQueue's producer side: one job per project + action while it is not finished. */
export class InMemoryJobQueue {
  readonly states = new Map<string, string>();
  readonly enqueued: { action: 'provision' | 'deprovision'; data: ProjectJobData }[] = [];

  async jobState(action: 'provision' | 'deprovision', projectId: string): Promise<string | null> {
    return this.states.get(`${action}-${projectId}`) ?? null;
  }

  enqueueProvision(data: ProjectJobData): Promise<EnqueueResult> {
    return this.enqueue('provision', data);
  }

  enqueueDeprovision(data: ProjectJobData): Promise<EnqueueResult> {
    return this.enqueue('deprovision', data);
  }

  private async enqueue(action: 'provision' | 'deprovision', data: ProjectJobData): Promise<EnqueueResult> {
    const state = this.states.get(`${action}-${data.projectId}`);
    if (state && state !== 'completed' && state !== 'failed') return 'already-queued';
    this.states.set(`${action}-${data.projectId}`, 'waiting');
    this.enqueued.push({ action, data });
    return 'queued';
  }
}

/** A job as the queue factory hands it to a processor. */
export function projectJob(projectId: string, opts: { attempt?: number; attempts?: number; userId?: string } = {}): QueueJob<ProjectJobData> {
  const attempt = opts.attempt ?? 1;
  return { id: `provision-${projectId}`, data: { userId: opts.userId ?? OWNER, projectId, requestId: null }, attempt, lastAttempt: attempt >= (opts.attempts ?? 3) };
}

/** The runtime's calls in order, as `method target` (a container or network name). */
function recordCalls(runtime: ContainerRuntime, calls: string[]): ContainerRuntime {
  return new Proxy(runtime, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const [first, second] = args as [unknown, unknown];
        const name = typeof first === 'string' ? first : (first as { name?: string } | undefined)?.name;
        calls.push([String(prop), name, typeof second === 'string' ? second : undefined].filter(Boolean).join(' '));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/**
 * The three processors over in-memory systems: the platform network and a backend container (BACKEND)
 * already there, as on a deployed host. `ready` answers the tools API health checks.
 */
export async function workerFixture(env: Record<string, string> = {}) {
  const shareRoot = mkdtempSync(join(tmpdir(), 'pantheon-worker-spec-'));
  const secretsRoot = mkdtempSync(join(tmpdir(), 'pantheon-worker-spec-secrets-'));
  const oemRoot = mkdtempSync(join(tmpdir(), 'pantheon-worker-spec-oem-'));
  const config = testConfig({ SHARE_ROOT: shareRoot, OEM_DIR: oemRoot, TOOLS_CREDENTIALS_ROOT: secretsRoot, TOOLS_UID: String(process.getuid?.() ?? 0), BACKEND_CONTAINER: BACKEND, ...env });
  const ring = KeyRing.parse(config.masterKeysSpec!);
  const toolsCredential = (projectId: string) => toolsApiCredential(ring, projectId);
  // The default config's images: a spec that names another one meets IMAGE_NOT_FOUND.
  const defaults = testConfig();
  const engine = new InMemoryRuntime({ images: [defaults.SHARE_IMAGE, defaults.VM_IMAGE, defaults.TOOLS_IMAGE, 'pantheon/backend:spec'] });
  const platform = platformNetworkSpec(config);
  await engine.ensureNetwork(platform);
  await engine.ensureNetwork(toolsNetworkSpec(config));
  await engine.ensureContainer({
    name: BACKEND, image: 'pantheon/backend:spec', env: {}, labels: { [LABEL_KEYS.role]: 'backend' },
    network: { name: platform.name, ip: config.PLATFORM_SUBNET.replace(/\.0\/24$/, '.2') },
  });
  const calls: string[] = [];
  const runtime = recordCalls(engine, calls);
  const projects = new InMemoryProjectStore();
  const published: ProjectEventInput[] = [];
  const events = { publish: async (input: ProjectEventInput) => published.push(input) };
  const queue = new InMemoryJobQueue();
  const ready = {
    urls: [] as string[],
    /** The credential each check sent. */
    credentials: [] as string[],
    /** Answers of the next checks, in order; then ok. */
    answers: [] as ReadinessResult[],
    /** Runs during a check, e.g. a DELETE landing while the VM boots. */
    during: undefined as (() => void) | undefined,
  };
  const toolsReady = async (url: string, _timeoutMs: number, credential: string): Promise<ReadinessResult> => {
    ready.urls.push(url);
    ready.credentials.push(credential);
    ready.during?.();
    return ready.answers.shift() ?? { ok: true };
  };
  const registry = new MetricsRegistry({ processMetrics: false });
  const metrics = new WorkerMetrics(registry);
  return {
    config, engine, runtime, calls, projects, published, queue, ready, metrics, secretsRoot, toolsCredential,
    /** The metrics exposition text so far (what a scrape of the worker would show). */
    scrape: () => registry.scrape(),
    provision: new ProvisionProcessor(config, runtime, projects, events, toolsReady, toolsCredential, metrics),
    deprovision: new DeprovisionProcessor(config, runtime, projects, events),
    reconcile: new ReconcileProcessor(config, runtime, projects, queue, events, toolsCredential),
    close: () => {
      rmSync(shareRoot, { recursive: true, force: true });
      rmSync(secretsRoot, { recursive: true, force: true });
      rmSync(oemRoot, { recursive: true, force: true });
    },
  };
}

export type WorkerFixture = Awaited<ReturnType<typeof workerFixture>>;
