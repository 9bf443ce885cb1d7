import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AppConfig } from '@pantheon/config';
import { OEM_LAYOUT, writeOemBundle } from './oem-bundle';
import { GUEST_AGENT_TOKEN_FILE, readToolsSecret, writeToolsSecret } from './tools-secrets';

/** The project's own /oem on the host (mounted read-only into its VM): the agent, its token, install.bat. */
export function oemDirFor(oemRoot: string, projectId: string): string {
  return join(oemRoot, projectId);
}

/** dist/ of this build, which holds the compiled guest agent (apps/guest-agent, libs/guest-agent). */
export function defaultAgentDistDir(): string {
  return resolve(__dirname, '../../../..');
}

async function existingToken(config: AppConfig, projectId: string): Promise<string | null> {
  // The VM may already hold a copy (C:\OEM is copied once, at install): keep what it has.
  const inOem = await readFile(join(oemDirFor(config.OEM_DIR, projectId), OEM_LAYOUT.token), 'utf8').catch(() => null);
  return inOem?.trim() || (await readToolsSecret(config.TOOLS_CREDENTIALS_ROOT, projectId, GUEST_AGENT_TOKEN_FILE))?.trim() || null;
}

/**
 * Writes the project's /oem bundle and gives its tools API the same agent token (a 0400 file beside its other
 * credentials). The token is random, made once per project and kept across rebuilds; it is the only secret in
 * /oem, and it opens nothing but this project's guest agent.
 */
export async function prepareGuestAgent(config: AppConfig, projectId: string, logger?: { warn(message: string): void }): Promise<void> {
  const token = (await existingToken(config, projectId)) ?? randomBytes(32).toString('base64url');
  const agentDistDir = config.GUEST_AGENT_DIST_DIR ?? defaultAgentDistDir();
  if (!existsSync(join(agentDistDir, 'apps/guest-agent/src/main.js'))) {
    throw new Error(`the compiled guest agent is not in ${agentDistDir} (set GUEST_AGENT_DIST_DIR)`);
  }
  // Traverse-only for others: a project's folder is reachable by its id, never listed. An operator-made root the
  // worker does not own keeps the operator's mode.
  await mkdir(config.OEM_DIR, { recursive: true, mode: 0o711 });
  await chmod(config.OEM_DIR, 0o711).catch((err: NodeJS.ErrnoException) => (err.code === 'EPERM' ? undefined : Promise.reject(err)));
  await writeOemBundle({
    dir: oemDirFor(config.OEM_DIR, projectId),
    agentToken: token,
    agentDistDir,
    windowsNodePath: config.GUEST_AGENT_WINDOWS_NODE ?? null,
    // The VM container's root reads it as its owner: it has no CAP_DAC_OVERRIDE.
    tokenOwner: { uid: 0, gid: 0 },
    logger,
  });
  await writeToolsSecret(config.TOOLS_CREDENTIALS_ROOT, projectId, GUEST_AGENT_TOKEN_FILE, token, config.TOOLS_UID);
}

/** Removes the project's /oem folder (only the platform writes it; the VM mounts it read-only). */
export async function removeOemFolder(oemRoot: string, projectId: string): Promise<void> {
  await rm(oemDirFor(oemRoot, projectId), { recursive: true, force: true });
}
