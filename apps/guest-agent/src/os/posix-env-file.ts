import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The user's environment file in their home: `export NAME='value'` lines, sourced by login and bash shells. */
export const ENV_FILE_NAME = '.pantheon-env';
/** The line each shell startup file gets (once): source the file when it is there. */
export const SOURCE_LINE = `[ -r "$HOME/${ENV_FILE_NAME}" ] && . "$HOME/${ENV_FILE_NAME}" # pantheon gateway environment`;
/** sh/dash/bash login shells read ~/.profile (bash only without ~/.bash_profile); interactive bash reads ~/.bashrc. */
export const STARTUP_FILES = ['.profile', '.bashrc'] as const;

const HEADER = '# Written by the Pantheon guest agent: the LLM gateway for programs in this VM (short-lived token, renewed).\n';
const LINE = /^export ([A-Z][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/;

/** Single quotes keep everything literal in sh; a quote inside ends, escapes and reopens. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m) vars.set(m[1]!, m[2]!.replace(/'\\''/g, "'"));
  }
  return vars;
}

export function renderEnvFile(vars: Map<string, string>): string {
  return HEADER + [...vars].map(([name, value]) => `export ${name}=${quote(value)}\n`).join('');
}

/** A regular file's content, '' when absent, null when it is a link or anything else (never followed). */
async function readRegular(path: string): Promise<string | null> {
  try {
    if (!(await lstat(path)).isFile()) return null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  return readFile(path, 'utf8');
}

/** Writes `content` to a fresh file (O_EXCL|O_NOFOLLOW, `mode`) and renames it over `path`: no link is followed, no reader sees half a file. */
async function replaceFile(path: string, content: string, mode: number): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.chmod(mode);
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temp, path);
}

/**
 * Merges `vars` into `<home>/.pantheon-env` (mode 0600: the token is the user's alone) and makes sure the user's
 * shell startup files source it. New shells see the values; running ones keep what they started with.
 */
export async function updatePosixEnv(home: string, vars: Record<string, string | null>): Promise<void> {
  const file = join(home, ENV_FILE_NAME);
  // Whatever stands in the file's place (a planted link) is replaced by the rename, never written through.
  const current = parseEnvFile((await readRegular(file)) ?? '');
  for (const [name, value] of Object.entries(vars)) {
    if (value === null) current.delete(name);
    else current.set(name, value);
  }
  await replaceFile(file, renderEnvFile(current), 0o600);
  for (const name of STARTUP_FILES) {
    const path = join(home, name);
    const text = await readRegular(path);
    // A startup file that is a link belongs to someone's own setup: left alone (the other file still sources).
    if (text === null || text.split('\n').includes(SOURCE_LINE)) continue;
    const sep = text === '' || text.endsWith('\n') ? '' : '\n';
    await replaceFile(path, `${text}${sep}${SOURCE_LINE}\n`, 0o644);
  }
}
