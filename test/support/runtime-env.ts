import Docker from 'dockerode';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerRuntime, LABEL_KEYS, testRunSelector } from '@pantheon/runtime';

/** Image tag test/run.sh built the stand-in images with for this run. */
export function testImageTag(): string {
  const tag = process.env.PANTHEON_TEST_IMAGE_TAG;
  if (!tag) throw new Error('PANTHEON_TEST_IMAGE_TAG is not set: run the tests through test/run.sh');
  return tag;
}

/** A /24 in 10.x not used by any Docker network (nor in `taken`), for this suite's platform or tools network. */
async function freePlatformSubnet(docker: Docker, taken: string[] = []): Promise<string> {
  const used = new Set<string>(taken);
  for (const n of await docker.listNetworks()) for (const c of n.IPAM?.Config ?? []) if (c.Subnet) used.add(c.Subnet);
  for (let i = 0; i < 200; i++) {
    const candidate = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}.0/24`;
    if (!used.has(candidate)) return candidate;
  }
  throw new Error('no free 10.x /24 for the platform network');
}

export interface RuntimeTestEnv {
  /** Env overrides for the API and the worker of this suite. */
  env: Record<string, string>;
  label: string;
  shareRoot: string;
  /** Removes every container and network this suite created (by its test-run label) and its folders. */
  cleanup(): Promise<void>;
}

/**
 * Configuration for a suite that provisions real projects: the stand-in images, its own platform network,
 * share/OEM folders and a test-run label on everything the worker creates; fast lock/stall/reconcile timings.
 */
export async function runtimeTestEnv(suite: string): Promise<RuntimeTestEnv> {
  const docker = new Docker();
  const tag = testImageTag();
  const label = `${process.env.PANTHEON_TEST_RUN_ID ?? 'local'}-${suite}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
  const base = join(tmpdir(), `pantheon-${label}`);
  const shareRoot = join(base, 'shares');
  const oemDir = join(base, 'oem');
  mkdirSync(shareRoot, { recursive: true });
  mkdirSync(oemDir, { recursive: true });
  const platformSubnet = await freePlatformSubnet(docker);
  const env = {
    VM_IMAGE: `pantheon/vm-standin:${tag}`,
    TOOLS_IMAGE: `pantheon/tools-api:${tag}`,
    SHARE_IMAGE: `pantheon/share:${tag}`,
    VM_DEVICES: 'none',
    // The stand-in's xterm needs SETGID for its pty (dockurr/windows needs only NET_ADMIN).
    VM_CAP_ADD: 'NET_ADMIN,SETGID',
    SHARE_ROOT: shareRoot,
    OEM_DIR: oemDir,
    PLATFORM_NETWORK: `pantheon-platform-${label}`.slice(0, 60),
    PLATFORM_SUBNET: platformSubnet,
    TOOLS_NETWORK: `pantheon-tools-${label}`.slice(0, 60),
    TOOLS_SUBNET: await freePlatformSubnet(docker, [platformSubnet]),
    TOOLS_CREDENTIALS_ROOT: join(base, 'tools-secrets'),
    RUNTIME_TEST_RUN_LABEL: label,
    JOB_LOCK_MS: '3000',
    RECONCILE_INTERVAL_MS: '2000',
    STUCK_AFTER_MS: '4000',
    PROVISION_HEALTH_TIMEOUT_MS: '30000',
    VM_DEFAULT_RAM_GB: '4',
    VM_DEFAULT_CPU_CORES: '2',
    VM_DEFAULT_DISK_GB: '64',
  };
  return {
    env,
    label,
    shareRoot,
    cleanup: async () => {
      await removeTestRun(label);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Removes all containers, then all networks, carrying the test-run label. */
export async function removeTestRun(label: string): Promise<void> {
  const runtime = new DockerRuntime();
  const { containers, networks } = await runtime.listByLabel(testRunSelector(label));
  for (const c of containers) await runtime.removeContainer(c.name);
  for (const n of networks) await runtime.removeNetwork(n.name);
}

/** Containers and networks still labelled with `projectId`. */
export async function projectObjects(projectId: string): Promise<{ containers: string[]; networks: string[] }> {
  const runtime = new DockerRuntime();
  const { containers, networks } = await runtime.listByLabel({ [LABEL_KEYS.project]: projectId });
  return { containers: containers.map((c) => c.name), networks: networks.map((n) => n.name) };
}

/** What a project suite started, in the order it is stopped (each part may be missing if setup failed early). */
export interface ProjectSuiteParts {
  worker?: { close(): Promise<unknown> };
  api?: { close(): Promise<unknown> };
  rt?: RuntimeTestEnv;
  /** The admin pool: the owners' project rows are deleted with it (no leftover for a later suite's reconciler), then it ends. */
  admin: { query(sql: string, values: unknown[]): Promise<unknown>; end(): Promise<void> };
  owners: ({ id: string } | undefined)[];
  /** Stopped after the rows are gone (fake providers, the OIDC issuer). */
  services?: ({ stop(): Promise<unknown> } | undefined)[];
}

/** The common end of a project suite: worker, API, the run's Docker objects, the owners' rows, then services. */
export async function stopProjectSuite(p: ProjectSuiteParts): Promise<void> {
  await p.worker?.close();
  await p.api?.close();
  await p.rt?.cleanup();
  await p.admin.query('delete from projects where owner_id = any($1::uuid[])', [p.owners.filter((o): o is { id: string } => !!o).map((o) => o.id)]);
  for (const s of p.services ?? []) await s?.stop();
  await p.admin.end();
}
