import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lchown, lstat, mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a tools container sees its credential files (a read-only bind mount of the project's folder). */
export const TOOLS_SECRETS_MOUNT = '/run/pantheon';
export const PROJECT_TOKEN_FILE = 'project-token';
export const API_CREDENTIAL_FILE = 'api-credential';
/** The bearer the tools API presents to the project's guest agent (the same value is in the VM's /oem). */
export const GUEST_AGENT_TOKEN_FILE = 'guest-agent-token';

/** The host folder of one project's tools credentials (not the VM-writable shared folder). */
export function toolsSecretsDirFor(root: string, projectId: string): string {
  return join(root, projectId);
}

/** A real directory, never a link: the folders are ours, so anything else is refused rather than followed. */
async function ensureDirectory(path: string, recursive: boolean): Promise<void> {
  await mkdir(path, { recursive, mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const s = await lstat(path);
  if (!s.isDirectory() || s.isSymbolicLink()) throw new Error(`tools secrets: ${path} is not a plain directory`);
}

/** The file's content, or null when it is absent, a link or unreadable (O_NOFOLLOW). */
async function currentValue(path: string): Promise<string | null> {
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

/**
 * Writes `value` as `<dir>/<name>`, mode 0400, owned by `uid` (the tools process): a fresh file opened with
 * O_CREAT|O_EXCL|O_NOFOLLOW, then renamed over the old one, so no link is ever followed and the tools API
 * never reads a half-written file (it re-reads on the new inode). The folder is mounted, not the file, so a
 * rename is visible in the container. Returns false when the file already held `value`.
 */
export async function writeToolsSecret(root: string, projectId: string, name: string, value: string, uid: number): Promise<boolean> {
  await ensureDirectory(root, true);
  const dir = toolsSecretsDirFor(root, projectId);
  await ensureDirectory(dir, false);
  await chownIfNeeded(dir, uid);
  const target = join(dir, name);
  if ((await currentValue(target)) === value) return false;
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o400);
  try {
    await handle.writeFile(value, 'utf8');
    if (mayChown(uid)) await handle.chown(uid, uid);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  await rename(temp, target);
  return true;
}

/** Only root may give files away; a non-root worker's files stay its own (the tools process must share its uid). */
function mayChown(uid: number): boolean {
  const self = process.getuid?.();
  return self === 0 && uid !== 0;
}

async function chownIfNeeded(path: string, uid: number): Promise<void> {
  if (mayChown(uid)) await lchown(path, uid, uid);
}

/** The current value of one of the project's credential files, or null when it has none (links are not followed). */
export function readToolsSecret(root: string, projectId: string, name: string): Promise<string | null> {
  return currentValue(join(toolsSecretsDirFor(root, projectId), name));
}

/** Removes the project's credential folder (rm never follows links inside it). */
export async function removeToolsSecrets(root: string, projectId: string): Promise<void> {
  await rm(toolsSecretsDirFor(root, projectId), { recursive: true, force: true });
}
