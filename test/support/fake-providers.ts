// Test helper around the wire-compatible fake AI providers in test/fixtures/fake-providers/server.mjs.
// The server runs as a child process (plain ESM, no dependencies) on a random loopback port.
import { stoppableChild } from './child-process';
import { findRepoRoot } from './oidc';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const STDERR_LIMIT = 16 * 1024;

/**
 * A key the fakes accept (`fk-` prefix) that is unique per call. The random part is decimal digits because
 * the fakes reject any key containing "bad", which random hex spells now and then.
 */
export function fakeProviderKey(label: string): string {
  return `fk-${label}-${Array.from({ length: 24 }, () => randomInt(10)).join('')}`;
}

export type FakeProviderFamily = 'openai' | 'openrouter' | 'together' | 'xai' | 'custom' | 'anthropic' | 'google';

/** One request as the fake saw it. */
export interface RecordedRequest {
  /** 1, 2, ... in arrival order (not reset by reset()). */
  id: number;
  /** null for a path under no family prefix. */
  family: FakeProviderFamily | null;
  method: string;
  /** The raw request target: path and query, including the family prefix (e.g. /openai/v1/chat/completions). */
  path: string;
  /** Every request header, names lower-cased. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, else the text (truncated at 256 KiB), null when empty. */
  body: unknown;
  /** ISO time of arrival. */
  at: string;
  /** True when the client went away before the response was complete. */
  aborted: boolean;
}

export interface FakeProviderBaseUrls {
  /** openai SDK `baseURL`; our config's base URL for the family. */
  openai: string;
  openrouter: string;
  together: string;
  xai: string;
  custom: string;
  /** @anthropic-ai/sdk `baseURL` (the SDK appends /v1/messages, /v1/models). */
  anthropic: string;
  /** @google/genai `httpOptions.baseUrl` (the SDK appends /v1beta/models/...). */
  google: string;
}

export interface FakeProviders {
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  baseUrls: FakeProviderBaseUrls;
  /** Every hosted provider's base-URL setting pointed at this server, for the API's environment. */
  providerEnv: Record<string, string>;
  /** Every request recorded since start or the last reset(), oldest first (at most the last 1000). */
  requests(): Promise<RecordedRequest[]>;
  /** Polls requests() until one matches, or throws after timeoutMs. */
  waitForRequest(match: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export function fakeProviderBaseUrls(origin: string): FakeProviderBaseUrls {
  return {
    openai: `${origin}/openai/v1`,
    openrouter: `${origin}/openrouter/api/v1`,
    together: `${origin}/together/v1`,
    xai: `${origin}/xai/v1`,
    custom: `${origin}/custom/v1`,
    anthropic: `${origin}/anthropic`,
    google: `${origin}/google`,
  };
}

/** The API's provider base-URL settings, each pointed at the fake of its family. */
export function fakeProviderEnv(baseUrls: FakeProviderBaseUrls): Record<string, string> {
  return {
    OPENAI_BASE_URL: baseUrls.openai,
    OPENROUTER_BASE_URL: baseUrls.openrouter,
    TOGETHER_BASE_URL: baseUrls.together,
    XAI_BASE_URL: baseUrls.xai,
    ANTHROPIC_BASE_URL: baseUrls.anthropic,
    GOOGLE_AI_BASE_URL: baseUrls.google,
  };
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const script = path.join(findRepoRoot(), 'test', 'fixtures', 'fake-providers', 'server.mjs');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pantheon-fake-providers-'));
  const readyFile = path.join(dir, 'ready.json');
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, FAKE_PORT: '0', FAKE_READY_FILE: readyFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });

  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT);
    for (const line of chunk.split('\n')) {
      if (line.startsWith('fake-providers:')) process.stderr.write(`${line}\n`);
    }
  });
  let exitReason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      exitReason = `failed to start (${err.message})`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exitReason = `exited (${signal ?? `code ${code}`})`;
      resolve();
    });
  });
  const stop = stoppableChild(child, exited, dir, STOP_TIMEOUT_MS);

  let port: number | undefined;
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (port === undefined) {
      try {
        port = (JSON.parse(await readFile(readyFile, 'utf8')) as { port: number }).port;
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (exitReason !== undefined) throw new Error(`fake providers ${exitReason} before ready:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`fake providers not ready after ${READY_TIMEOUT_MS} ms:\n${stderr}`);
      await delay(20);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const origin = `http://127.0.0.1:${port}`;
  const control = async (method: 'GET' | 'POST', what: string): Promise<unknown> => {
    const response = await fetch(`${origin}/_control/${what}`, { method });
    if (!response.ok) throw new Error(`fake providers /_control/${what}: HTTP ${response.status}`);
    return response.json();
  };
  const requests = async (): Promise<RecordedRequest[]> => (await control('GET', 'requests')) as RecordedRequest[];
  const waitForRequest = async (
    match: (r: RecordedRequest) => boolean,
    timeoutMs = 5_000,
  ): Promise<RecordedRequest> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await requests()).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching request at the fake providers within ${timeoutMs} ms`);
      await delay(25);
    }
  };

  return {
    port,
    origin,
    baseUrls: fakeProviderBaseUrls(origin),
    providerEnv: fakeProviderEnv(fakeProviderBaseUrls(origin)),
    requests,
    waitForRequest,
    reset: async () => {
      await control('POST', 'reset');
    },
    stop,
  };
}
