import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stoppableChild } from './child-process';
import { freePort } from './ports';

/**
 * A real VNC server for tests: TigerVNC's Xvnc from Debian (`tigervnc-standalone-server`), listening on
 * loopback only, no password, with optional X clients (twm, an xterm) so input visibly changes pixels.
 */
export interface XvncDisplay {
  /** `:N`, for DISPLAY= of X clients. */
  display: string;
  /** RFB port on 127.0.0.1. */
  rfbPort: number;
  width: number;
  height: number;
  /** Env for an X client on this display. */
  env: NodeJS.ProcessEnv;
  /** Starts an X client on this display; it is stopped with the display. */
  spawnClient(command: string, args?: string[]): ChildProcess;
  /** Stops Xvnc (and its clients); `restart()` brings it back on the same display and port. */
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export interface XvncOptions {
  width?: number;
  height?: number;
  /** Start twm and an xterm (default true). */
  desktop?: boolean;
}


async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`Xvnc did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Display numbers from 40 up, so a developer's own :0/:1 are never touched; the lock file decides. */
let nextDisplay = 40 + (process.pid % 200);

export async function startXvnc(options: XvncOptions = {}): Promise<XvncDisplay> {
  const width = options.width ?? 1024;
  const height = options.height ?? 768;
  const rfbPort = await freePort();
  let display = `:${nextDisplay++}`;
  const env = { ...process.env, DISPLAY: display };
  const clients: { stop: () => Promise<void> }[] = [];
  let server: { stop: () => Promise<void> } | null = null;

  const launch = async (): Promise<void> => {
    const dir = await mkdtemp(join(tmpdir(), 'pantheon-xvnc-'));
    const child = spawn(
      'Xvnc',
      [display, '-rfbport', String(rfbPort), '-interface', '127.0.0.1', '-SecurityTypes', 'None', '-geometry', `${width}x${height}`,
        '-depth', '24', '-AlwaysShared', '-nolisten', 'tcp', '-desktop', 'pantheon-test'],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: dir } },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    server = { stop: stoppableChild(child, exited, dir, 3000) };
    await Promise.race([
      waitForPort(rfbPort, 10_000),
      exited.then(() => {
        throw new Error(`Xvnc exited at start: ${stderr}`);
      }),
    ]);
  };

  const spawnClient = (command: string, args: string[] = []): ChildProcess => {
    const child = spawn(command, args, { stdio: 'ignore', env });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.once('error', () => undefined);
    // X clients exit when their display goes; SIGTERM first so none outlives a failed test.
    clients.push({
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
      },
    });
    return child;
  };

  const startDesktop = (): void => {
    if (options.desktop === false) return;
    spawnClient('twm');
    spawnClient('xterm', ['-geometry', '80x24+40+40', '-fa', '', '-bg', 'white', '-fg', 'black']);
  };

  const stopAll = async (): Promise<void> => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await server?.stop();
    server = null;
  };

  // Another run's Xvnc may hold this display (its lock file says so): take the next one.
  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 20 || !/already active for display/.test((error as Error).message)) throw error;
      // launch() set `server` to the exited one (TS cannot see the closure assign it).
      await (server as { stop: () => Promise<void> } | null)?.stop();
      display = `:${nextDisplay++}`;
      env.DISPLAY = display;
    }
  }
  startDesktop();
  return {
    display,
    rfbPort,
    width,
    height,
    env,
    spawnClient,
    stop: stopAll,
    restart: async () => {
      await stopAll();
      await launch();
      startDesktop();
    },
  };
}
