import { mkdir, open, readdir, lstat, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { AgentCommands } from '@pantheon/guest-agent';
import { AgentError } from '../agent-error';

type Cmd<C extends keyof AgentCommands> = AgentCommands[C];

/** node:fs errors as protocol errors that name the path (the caller chose it, so it may see it). */
function fsError(error: unknown, path: string): AgentError {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return new AgentError('not_found', `no such file or directory: ${path}`);
    case 'EISDIR':
      return new AgentError('bad_request', `is a directory: ${path}`);
    case 'ENOTDIR':
      return new AgentError('bad_request', `not a directory: ${path}`);
    case 'EACCES':
    case 'EPERM':
      return new AgentError('failed', `permission denied: ${path}`);
    default:
      return new AgentError('failed', `${code ?? 'error'} on ${path}`);
  }
}

export function requireAbsolute(path: string): void {
  if (!isAbsolute(path)) throw new AgentError('bad_request', `path must be absolute: ${path}`);
}

export async function fileRead(params: Cmd<'file_read'>['params'], limitBytes: number): Promise<Cmd<'file_read'>['result']> {
  requireAbsolute(params.path);
  const offset = params.offset ?? 0;
  const max = Math.min(params.max_bytes ?? limitBytes, limitBytes);
  let handle;
  try {
    handle = await open(params.path, 'r');
  } catch (error) {
    throw fsError(error, params.path);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new AgentError('bad_request', `is a directory: ${params.path}`);
    const remaining = Math.max(0, info.size - offset);
    const length = Math.min(remaining, max);
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { content_base64: buffer.subarray(0, read).toString('base64'), size: info.size, truncated: remaining > read };
  } catch (error) {
    throw error instanceof AgentError ? error : fsError(error, params.path);
  } finally {
    await handle.close();
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export async function fileWrite(params: Cmd<'file_write'>['params'], limitBytes: number): Promise<Cmd<'file_write'>['result']> {
  requireAbsolute(params.path);
  const encoded = params.content_base64;
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) throw new AgentError('bad_request', 'content_base64 is not valid base64');
  // Checked on the encoded length first so an oversized body is never decoded.
  if ((encoded.length / 4) * 3 - (encoded.endsWith('==') ? 2 : encoded.endsWith('=') ? 1 : 0) > limitBytes) {
    throw new AgentError('too_large', `content exceeds ${limitBytes} bytes`);
  }
  const content = Buffer.from(encoded, 'base64');
  try {
    if (params.create_dirs === true) await mkdir(dirname(params.path), { recursive: true });
    await writeFile(params.path, content, { flag: params.append === true ? 'a' : 'w' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AgentError('not_found', `parent directory does not exist: ${dirname(params.path)} (set create_dirs)`);
    }
    throw fsError(error, params.path);
  }
  return { bytes_written: content.length };
}

export async function fileList(params: Cmd<'file_list'>['params']): Promise<Cmd<'file_list'>['result']> {
  requireAbsolute(params.path);
  let names;
  try {
    names = await readdir(params.path);
  } catch (error) {
    throw fsError(error, params.path);
  }
  const entries: Cmd<'file_list'>['result']['entries'] = [];
  for (const name of names.sort()) {
    const full = join(params.path, name);
    // Links are reported as what they point to; a dangling one (or a locked system file) as "other".
    const info = await stat(full).catch(() => lstat(full).catch(() => null));
    if (info === null) {
      entries.push({ name, type: 'other', size: 0, modified_at: new Date(0).toISOString() });
      continue;
    }
    const type = info.isFile() ? 'file' : info.isDirectory() ? 'directory' : 'other';
    entries.push({ name, type, size: type === 'file' ? info.size : 0, modified_at: info.mtime.toISOString() });
  }
  return { entries };
}
