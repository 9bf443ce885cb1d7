import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, realpath, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';

/**
 * The project's shared folder is mounted read-write into the VM, so anything in it may have been replaced by
 * the guest (a symlink to a host path, a FIFO, a directory). The worker runs as a user that holds the Docker
 * socket: nothing here may ever follow a link inside the folder. Writes open with O_NOFOLLOW|O_EXCL, the
 * folder itself is lstat-ed, and removal unlinks links instead of descending into them.
 */

/** The host folder of a project's shared files. */
export function shareDirFor(shareRoot: string, projectId: string): string {
  return join(shareRoot, projectId);
}

/** Something in a shared folder is not what the worker expects (and was left alone). */
export class ShareFolderError extends Error {}

/**
 * What happened to README.txt, for the worker's log: `created`; `kept` (a regular file, the user's to edit);
 * `replaced-link` / `replaced-special` (a symlink or special file the guest put there was unlinked, never
 * followed, and a fresh README created); `left-directory` (a directory in its place is not removed while the
 * VM runs); `contended` (something reappeared between unlink and create: left alone, nothing followed).
 */
export type ReadmeOutcome = 'created' | 'kept' | 'replaced-link' | 'replaced-special' | 'left-directory' | 'contended';

const README_NAME = 'README.txt';
const README = `This folder is shared between your Pantheon project's Windows VM and its tools.
Files you put here are visible to the VM. No credentials are ever stored here: the VM reaches AI models
through the platform's gateway with a short-lived project token.
`;

// O_EXCL: never truncate or write into an existing entry; O_NOFOLLOW: a planted link fails with ELOOP.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function lstatOrNull(path: string) {
  return lstat(path).catch((err: unknown) => (codeOf(err) === 'ENOENT' ? null : Promise.reject(err)));
}

async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch((err: unknown) => (codeOf(err) === 'ENOENT' ? undefined : Promise.reject(err)));
}

/**
 * The folder must be a real directory (not a link to one); it is created when absent. The VM's root has no
 * DAC_OVERRIDE (cap_drop ALL) and the worker may run as another user, so the folder is world-writable; the
 * share root above it is created 0700, so no other host user reaches it. @throws ShareFolderError
 */
async function ensureRealDirectory(dir: string): Promise<void> {
  if ((await lstatOrNull(dir)) === null) {
    await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
    await mkdir(dir, { recursive: true, mode: 0o755 });
  }
  const info = await lstat(dir);
  if (!info.isDirectory()) {
    throw new ShareFolderError(`the shared folder ${dir} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}; refusing to use it`);
  }
  // Safe to follow: the folder itself is the VM's mount point, which the guest cannot replace.
  if ((info.mode & 0o777) !== 0o777) await chmod(dir, 0o777);
}

async function createExclusive(path: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, CREATE_FLAGS, 0o644);
  } catch (err) {
    if (codeOf(err) === 'EEXIST' || codeOf(err) === 'ELOOP') return false;
    throw err;
  }
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Creates the project's shared folder with a README (idempotent); see `ReadmeOutcome`. It never contains
 * secrets. @throws ShareFolderError when the folder itself is a link or not a directory
 */
export async function prepareShareFolder(dir: string): Promise<ReadmeOutcome> {
  await ensureRealDirectory(dir);
  const readme = join(dir, README_NAME);
  if (await createExclusive(readme, README)) return 'created';
  const existing = await lstatOrNull(readme);
  if (existing?.isFile()) return 'kept';
  if (existing?.isDirectory()) return 'left-directory';
  if (existing) await unlinkIfPresent(readme);
  // The guest may plant the link again between unlink and open: then O_EXCL|O_NOFOLLOW refuses, and it stays.
  if (!(await createExclusive(readme, README))) return 'contended';
  return existing?.isSymbolicLink() ? 'replaced-link' : existing ? 'replaced-special' : 'created';
}

/** Where programs inside the VM reach the platform; written to the shared folder, with no secret in it. */
export interface ShareClientConfig {
  projectId: string;
  /** The gateway for OpenAI-format clients (`OPENAI_BASE_URL`), e.g. `http://172.30.7.3:3000/v1`. */
  openaiBaseUrl: string;
  /** The gateway for Anthropic-format clients (`ANTHROPIC_BASE_URL`; the SDKs append /v1/messages). */
  anthropicBaseUrl: string;
  /** The project's MCP endpoint (Streamable HTTP), authenticated with the project token. */
  mcpUrl: string;
}

export const SHARE_CONFIG_NAME = 'pantheon.json';

/** The file's content: endpoints and how to authenticate, never a token or key. */
export function shareConfigDocument(config: ShareClientConfig): string {
  return `${JSON.stringify(
    {
      project_id: config.projectId,
      auth:
        'Send a project token as "Authorization: Bearer <token>" (or x-api-key). The VM user\'s environment holds a short-lived one, renewed ' +
        'by the platform: OPENAI_API_KEY / ANTHROPIC_API_KEY, with OPENAI_BASE_URL / ANTHROPIC_BASE_URL. No key or token is stored here.',
      mcp: { url: config.mcpUrl, transport: 'streamable-http' },
      gateway: {
        openai_base_url: config.openaiBaseUrl,
        anthropic_base_url: config.anthropicBaseUrl,
      },
    },
    null,
    2,
  )}\n`;
}

/**
 * Writes (or rewrites) `pantheon.json` in the shared folder. The platform owns the file, so whatever the guest
 * left under that name that is not a directory is unlinked (never followed) and the file created afresh.
 */
export async function writeShareConfig(dir: string, config: ShareClientConfig): Promise<ReadmeOutcome> {
  await ensureRealDirectory(dir);
  const path = join(dir, SHARE_CONFIG_NAME);
  const existing = await lstatOrNull(path);
  if (existing?.isDirectory()) return 'left-directory';
  if (existing) await unlinkIfPresent(path);
  if (!(await createExclusive(path, shareConfigDocument(config)))) return 'contended';
  return existing?.isSymbolicLink() ? 'replaced-link' : existing && !existing.isFile() ? 'replaced-special' : 'created';
}

/**
 * Removes a tree without following links: entries are classified with lstat semantics (readdir's d_type),
 * links and files are unlinked, and before descending a directory its real path must still lie inside
 * `root`. Call it only once the VM container is gone, so nothing swaps entries during the walk.
 */
async function removeTree(path: string, root: string): Promise<void> {
  const real = await realpath(path);
  if (real !== root && !real.startsWith(root + sep)) {
    throw new ShareFolderError(`refusing to remove ${path}: it resolves outside the shared folder`);
  }
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await removeTree(child, root);
    else await unlinkIfPresent(child);
  }
  await rmdir(path);
}

/**
 * Removes the project's shared folder if present. When the folder itself is a link, only the link goes.
 * Links inside are unlinked, never followed, so nothing outside the folder is touched.
 */
export async function removeShareFolder(dir: string): Promise<void> {
  const info = await lstatOrNull(dir);
  if (info === null) return;
  if (!info.isDirectory()) return unlinkIfPresent(dir);
  await removeTree(dir, await realpath(dir));
}
