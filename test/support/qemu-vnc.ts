import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stoppableChild } from './child-process';

/**
 * QEMU's own VNC server (what dockurr/windows exposes on 5900), on loopback only: a diskless TCG guest, so
 * the screen shows SeaBIOS and then "No bootable device". The VGA mode changes at boot (DesktopSize).
 */
export interface QemuVnc {
  rfbPort: number;
  /** The last 64 KiB of QEMU's stderr, where the trace events asked for are logged. */
  stderr(): string;
  /** Runs one human-monitor command (e.g. `system_reset`) over the monitor's unix socket. */
  monitor(command: string): Promise<void>;
  stop(): Promise<void>;
}

export interface QemuVncOptions {
  /** QEMU trace events to log on stderr, e.g. `vnc_key_event_ext` (how input arrived). */
  trace?: string[];
  /** Start with the CPU stopped (`-S`); `monitor('cont')` boots it, so a client can watch the first mode change. */
  paused?: boolean;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function startQemuVnc(options: QemuVncOptions = {}): Promise<QemuVnc> {
  // QEMU takes a display number (port 5900+N); start from a pid-derived N so parallel runs rarely collide.
  let display = 100 + (process.pid % 800);
  for (let tries = 0; !(await portFree(5900 + display)); tries++) {
    if (tries > 50) throw new Error('no free VNC port for QEMU');
    display++;
  }
  const rfbPort = 5900 + display;
  const dir = await mkdtemp(join(tmpdir(), 'pantheon-qemu-'));
  const child = spawn(
    'qemu-system-x86_64',
    ['-display', 'none', '-vnc', `127.0.0.1:${display}`, '-m', '64', '-nodefaults', '-vga', 'std', '-machine', 'pc', '-accel', 'tcg',
      '-no-user-config', '-serial', 'none', '-monitor', `unix:${join(dir, 'monitor.sock')},server=on,wait=off`, ...(options.trace ?? []).flatMap((t) => ['-trace', `enable=${t}`]), ...(options.paused ? ['-S'] : [])],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-65536);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = stoppableChild(child, exited, dir, 3000);
  const deadline = Date.now() + 15_000;
  while (await portFree(rfbPort)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`qemu exited at start: ${stderr}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`qemu did not listen on ${rfbPort} within 15 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const monitor = (command: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect(join(dir, 'monitor.sock'));
      const timer = setTimeout(() => socket.destroy(new Error(`monitor: no answer to ${command}`)), 5000);
      let seen = '';
      socket.on('data', (c: Buffer) => {
        seen += c.toString();
        // The banner ends with the first prompt; the command is done at the second.
        if (seen.split('(qemu)').length === 2 && !seen.includes(command)) socket.write(`${command}\n`);
        if (seen.split('(qemu)').length >= 3) {
          clearTimeout(timer);
          socket.end();
          resolve();
        }
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  return { rfbPort, stderr: () => stderr, monitor, stop };
}
