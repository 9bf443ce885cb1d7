/**
 * The RFB client and VncDesktop against real VNC servers on loopback: TigerVNC's Xvnc (with twm, an xterm
 * and xev as witnesses of input) and QEMU's own `-vnc` server (what dockurr/windows exposes).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ComputerInputError, DesktopUnavailableError, type Screenshot } from '../../../apps/tools-api/src/computer/computer.types';
import { VncDesktop } from '../../../apps/tools-api/src/computer/vnc.desktop';
import { RfbClient } from '../../../apps/tools-api/src/vnc/rfb-client';
import { Encoding } from '../../../apps/tools-api/src/vnc/rfb-protocol';
import { eventually } from '../../support/eventually';
import { startQemuVnc, type QemuVnc } from '../../support/qemu-vnc';
import { startXvnc, type XvncDisplay } from '../../support/xvnc';

async function rawPixels(shot: Screenshot): Promise<Buffer> {
  return sharp(shot.data).removeAlpha().raw().toBuffer();
}

function differingPixels(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i += 3) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++;
  return n;
}

function mouseLocation(x: XvncDisplay): { x: number; y: number } {
  const out = execFileSync('xdotool', ['getmouselocation', '--shell'], { env: x.env, encoding: 'utf8' });
  return { x: Number(/^X=(\d+)/m.exec(out)?.[1]), y: Number(/^Y=(\d+)/m.exec(out)?.[1]) };
}

describe('RFB desktop on TigerVNC Xvnc', () => {
  let xvnc: XvncDisplay;
  let desktop: VncDesktop;
  let scaled: VncDesktop;
  const dir = mkdtempSync(path.join(tmpdir(), 'pantheon-rfb-'));

  before(async () => {
    xvnc = await startXvnc({ desktop: true });
    desktop = new VncDesktop({ host: '127.0.0.1', port: xvnc.rfbPort, connectWaitMs: 10_000 });
    scaled = new VncDesktop({ host: '127.0.0.1', port: xvnc.rfbPort, maxWidth: 800, connectWaitMs: 10_000 });
    // The xterm's shell is ready when its prompt is drawn; typing before that could be lost.
    await eventually(async () => (execFileSync('xdotool', ['search', '--class', 'xterm'], { env: xvnc.env }).length ? true : undefined), 10_000, 'the xterm');
  });

  after(async () => {
    await desktop?.close();
    await scaled?.close();
    await xvnc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects (3.8, security None) and reports the server name and size', async () => {
    const shot = await desktop.run({ action: 'screenshot' });
    assert.deepEqual(desktop.status(), {
      connected: true,
      framebufferWidth: 1024,
      framebufferHeight: 768,
      desktopName: 'pantheon-test',
      lastError: null,
    });
    assert.equal(desktop.client.status().protocolVersion, '3.8');
    assert.ok(shot.screenshot);
  });

  it('returns a PNG the size of the framebuffer, decoded from ZRLE', async () => {
    const { screenshot } = await desktop.run({ action: 'screenshot' });
    const meta = await sharp(screenshot!.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 1024, 768]);
    assert.deepEqual([screenshot!.width, screenshot!.height, screenshot!.framebufferWidth, screenshot!.framebufferHeight], [1024, 768, 1024, 768]);
    assert.ok((desktop.client.status().rectangles[Encoding.ZRLE] ?? 0) > 0, 'ZRLE rectangles were decoded');
    // The xterm (white background) is on the black root window: the picture is not uniform.
    const px = await rawPixels(screenshot!);
    const white = (100 * 1024 + 100) * 3;
    assert.deepEqual([...px.subarray(white, white + 3)], [255, 255, 255], 'inside the xterm');
    assert.deepEqual([...px.subarray((700 * 1024 + 10) * 3, (700 * 1024 + 10) * 3 + 3)], [0, 0, 0], 'root window');
  });

  it('scales screenshots to maxWidth and maps coordinates back to the framebuffer', async () => {
    const { screenshot } = await scaled.run({ action: 'screenshot', });
    const meta = await sharp(screenshot!.data).metadata();
    assert.deepEqual([meta.width, meta.height], [800, 600]);
    await scaled.run({ action: 'mouse_move', coordinate: [400, 300] });
    assert.deepEqual(mouseLocation(xvnc), { x: 512, y: 384 });
    assert.deepEqual((await scaled.run({ action: 'cursor_position' })).cursor, [400, 300]);
    await scaled.run({ action: 'mouse_move', coordinate: [799, 599] });
    assert.deepEqual(mouseLocation(xvnc), { x: 1023, y: 767 });
    await desktop.run({ action: 'mouse_move', coordinate: [123, 456] });
    assert.deepEqual(mouseLocation(xvnc), { x: 123, y: 456 });
  });

  it('zooms into a region at full framebuffer resolution', async () => {
    const { screenshot } = await scaled.run({ action: 'zoom', region: [0, 0, 100, 50] });
    const meta = await sharp(screenshot!.data).metadata();
    assert.deepEqual([meta.width, meta.height], [128, 64]);
  });

  it('types into the xterm: the shell runs the command and the pixels change', async () => {
    const file = path.join(dir, 'typed.txt');
    const before = await rawPixels((await desktop.run({ action: 'left_click', coordinate: [200, 150] })).screenshot!);
    // Shifted characters (>, _, ~) and Latin-1 (é) go through the server's keymap.
    const result = await desktop.run({ action: 'type', text: `echo Typed_by-RFB~é > ${file}\n` });
    assert.equal(result.settleTimedOut, false);
    await eventually(async () => (readFileSync(file, 'utf8') === 'Typed_by-RFB~é\n' ? true : undefined), 5000, 'the typed command');
    const after = await rawPixels(result.screenshot!);
    assert.ok(differingPixels(before, after) > 100, 'the typed text is visible');
  });

  it('sends key combos: ctrl+u erases the typed line before Return', async () => {
    const file = path.join(dir, 'combo.txt');
    await desktop.run({ action: 'left_click', coordinate: [200, 150] });
    await desktop.run({ action: 'type', text: `echo wrong > ${file}` });
    await desktop.run({ action: 'key', text: 'ctrl+u' });
    await desktop.run({ action: 'type', text: `echo right > ${file}` });
    await desktop.run({ action: 'key', text: 'Return' });
    await eventually(async () => (readFileSync(file, 'utf8') === 'right\n' ? true : undefined), 5000, 'the command after ctrl+u');
  });

  it('scrolls the xterm back and forth', async () => {
    await desktop.run({ action: 'left_click', coordinate: [200, 150] });
    await desktop.run({ action: 'type', text: 'seq 1 300\n' });
    const bottom = await rawPixels((await desktop.run({ action: 'mouse_move', coordinate: [200, 150] })).screenshot!);
    const up = await rawPixels((await desktop.run({ action: 'scroll', coordinate: [200, 150], scroll_direction: 'up', scroll_amount: 5 })).screenshot!);
    assert.ok(differingPixels(bottom, up) > 100, 'scrolled up');
    const down = await rawPixels((await desktop.run({ action: 'scroll', coordinate: [200, 150], scroll_direction: 'down', scroll_amount: 5 })).screenshot!);
    assert.equal(differingPixels(bottom, down), 0, 'back at the bottom');
  });

  it('refuses off-screen coordinates, unknown keys and untypable text with the valid range or the way out', async () => {
    await assert.rejects(desktop.run({ action: 'left_click', coordinate: [1024, 10] }), (e: Error) => e instanceof ComputerInputError && /x must be 0-1023/.test(e.message));
    await assert.rejects(scaled.run({ action: 'mouse_move', coordinate: [10, 600] }), /y 0-599/);
    await assert.rejects(desktop.run({ action: 'key', text: 'ctrl+nosuchkey' }), (e: Error) => e instanceof ComputerInputError && /nosuchkey/.test(e.message));
    await assert.rejects(desktop.run({ action: 'type', text: 'привет' }), (e: Error) => e instanceof ComputerInputError && /type_text/.test(e.message));
    await assert.rejects(desktop.run({ action: 'scroll', scroll_direction: 'down', scroll_amount: 0 }), ComputerInputError);
    await assert.rejects(desktop.run({ action: 'wait', duration: 60 }), /0 to 10/);
  });

  it('bounds the settle wait on a screen that keeps changing, and says so', async () => {
    const busy = new VncDesktop({ host: '127.0.0.1', port: xvnc.rfbPort, settleTimeoutMs: 700, connectWaitMs: 10_000 });
    try {
      // `seq` in the xterm keeps changing pixels (`yes` would not: its screen looks the same every frame).
      await busy.run({ action: 'left_click', coordinate: [200, 150] });
      const flooding = await eventually(async () => {
        const r = await busy.run({ action: 'type', text: 'seq 999999999\n' });
        return r.settleTimedOut ? r : undefined;
      }, 10_000, 'a busy screen', 100);
      assert.equal(flooding.settleTimedOut, true);
      assert.equal((await sharp(flooding.screenshot!.data).metadata()).width, 1024, 'a screenshot all the same');
      await eventually(async () => ((await busy.run({ action: 'key', text: 'ctrl+c' })).settleTimedOut ? undefined : true), 10_000, 'a quiet screen', 100);
      const waited = await busy.run({ action: 'wait', duration: 0.2 });
      assert.equal((await sharp(waited.screenshot!.data).metadata()).width, 1024);
    } finally {
      await busy.close();
    }
  });

  it('fails fast while the server is down and reconnects when it is back', async () => {
    await xvnc.stop();
    await eventually(async () => (desktop.status().connected ? undefined : true), 5000, 'the disconnect');
    const down = new VncDesktop({ host: '127.0.0.1', port: xvnc.rfbPort, connectWaitMs: 300 });
    try {
      await assert.rejects(down.run({ action: 'screenshot' }), (e: Error) => e instanceof DesktopUnavailableError && /screen not connected: connection refused/.test(e.message));
    } finally {
      await down.close();
    }
    await xvnc.restart();
    await eventually(async () => (desktop.status().connected ? true : undefined), 15_000, 'the reconnect');
    const { screenshot } = await desktop.run({ action: 'screenshot' });
    assert.deepEqual([(await sharp(screenshot!.data).metadata()).width, screenshot!.height], [1024, 768]);
    assert.equal(desktop.status().lastError, null);
  });
});

describe('RFB input as X events (xev on a bare Xvnc)', () => {
  let xvnc: XvncDisplay;
  let desktop: VncDesktop;
  let xev: ChildProcess;
  let xevOut = '';

  before(async () => {
    // No window manager: twm would hold xev's window for interactive placement.
    xvnc = await startXvnc({ desktop: false });
    // xev prints every key and button event it gets (line-buffered, or printf output sits in the pipe).
    xev = spawn('stdbuf', ['-oL', 'xev', '-geometry', '300x200+0+0'], { env: xvnc.env, stdio: ['ignore', 'pipe', 'ignore'] });
    xev.stdout!.on('data', (c: Buffer) => (xevOut += c.toString()));
    await eventually(async () => (/MapNotify/.test(xevOut) ? true : undefined), 10_000, 'xev mapped');
    desktop = new VncDesktop({ host: '127.0.0.1', port: xvnc.rfbPort, connectWaitMs: 10_000 });
  });

  after(async () => {
    await desktop?.close();
    if (xev && xev.exitCode === null) {
      xev.kill('SIGTERM');
      await new Promise((r) => xev.once('exit', r));
    }
    await xvnc?.stop();
  });

  it('delivers combos, wheel buttons 4-7 and held modifiers as X events (seen by xev)', async () => {
    await desktop.run({ action: 'mouse_move', coordinate: [150, 100] }); // into xev (focus follows the pointer)
    xevOut = '';
    await desktop.run({ action: 'key', text: 'ctrl+shift+Escape' });
    await desktop.run({ action: 'key', text: 'alt+F4 Page_Down' });
    await eventually(async () => (/keysym 0xff56, Next/.test(xevOut) ? true : undefined), 5000, 'key events in xev').catch((e: Error) => {
      throw new Error(`${e.message}; xev printed: ${xevOut.slice(-1500)}`);
    });
    const presses = [...xevOut.matchAll(/KeyPress event[\s\S]*?state (0x[0-9a-f]+), keycode \d+ \(keysym (0x[0-9a-f]+)/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(presses, [
      ['0x0', '0xffe3'],
      ['0x4', '0xffe1'],
      ['0x5', '0xff1b'],
      ['0x0', '0xffe9'],
      ['0x8', '0xffc1'],
      ['0x0', '0xff56'],
    ]);

    xevOut = '';
    await desktop.run({ action: 'scroll', coordinate: [150, 100], scroll_direction: 'down', scroll_amount: 3 });
    await desktop.run({ action: 'scroll', scroll_direction: 'left', scroll_amount: 1, text: 'shift' });
    await eventually(async () => (/button 6/.test(xevOut) ? true : undefined), 5000, 'wheel events in xev');
    const buttons = [...xevOut.matchAll(/ButtonPress event[\s\S]*?state (0x[0-9a-f]+), button (\d+)/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(buttons, [['0x0', '5'], ['0x0', '5'], ['0x0', '5'], ['0x1', '6']]);
  });


  it('clicks, drags and holds as X button and key events', async () => {
    const buttonEvents = (): string[] =>
      [...xevOut.matchAll(/(ButtonPress|ButtonRelease) event[\s\S]*?root:\((\d+),(\d+)\),\s*state (0x[0-9a-f]+), button (\d+)/g)].map(
        (m) => `${m[1] === 'ButtonPress' ? 'down' : 'up'} ${m[2]},${m[3]} ${m[4]} b${m[5]}`,
      );
    xevOut = '';
    await desktop.run({ action: 'double_click', coordinate: [150, 120] });
    await desktop.run({ action: 'right_click', coordinate: [160, 120] });
    await desktop.run({ action: 'middle_click', coordinate: [170, 120], text: 'ctrl' });
    await desktop.run({ action: 'left_click_drag', start_coordinate: [100, 100], coordinate: [250, 180] });
    await desktop.run({ action: 'left_mouse_down', coordinate: [120, 150] });
    await desktop.run({ action: 'mouse_move', coordinate: [130, 160] });
    await desktop.run({ action: 'left_mouse_up' });
    await desktop.run({ action: 'triple_click' });
    await eventually(async () => (buttonEvents().length >= 18 ? true : undefined), 5000, 'button events in xev');
    assert.deepEqual(buttonEvents(), [
      'down 150,120 0x0 b1',
      'up 150,120 0x100 b1',
      'down 150,120 0x0 b1',
      'up 150,120 0x100 b1',
      'down 160,120 0x0 b3',
      'up 160,120 0x400 b3',
      'down 170,120 0x4 b2',
      'up 170,120 0x204 b2',
      'down 100,100 0x0 b1',
      'up 250,180 0x100 b1',
      'down 120,150 0x0 b1',
      'up 130,160 0x100 b1',
      // triple_click without a coordinate: where the pointer is
      'down 130,160 0x0 b1',
      'up 130,160 0x100 b1',
      'down 130,160 0x0 b1',
      'up 130,160 0x100 b1',
      'down 130,160 0x0 b1',
      'up 130,160 0x100 b1',
    ]);
    assert.match(xevOut, /MotionNotify event[\s\S]*?root:\(\d+,\d+\),\s*state 0x100/, 'the drag moved with the button held');
    assert.deepEqual((await desktop.run({ action: 'cursor_position' })).cursor, [130, 160]);

    xevOut = '';
    const held = await desktop.run({ action: 'hold_key', text: 'shift', duration: 0.3 });
    assert.ok(held.screenshot);
    await eventually(async () => (/KeyRelease event[\s\S]*?Shift_L/.test(xevOut) ? true : undefined), 5000, 'the release');
    assert.match(xevOut, /KeyPress event[\s\S]*?Shift_L[\s\S]*KeyRelease event[\s\S]*?Shift_L/);
  });
});

describe('RFB handshake edge cases', () => {
  it('names the problem when the server demands VNC authentication (Xvnc -SecurityTypes VncAuth)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pantheon-vncauth-'));
    const passwordFile = path.join(dir, 'passwd');
    execFileSync('sh', ['-c', `echo not-used-1 | vncpasswd -f > '${passwordFile}'`]);
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const display = `:${300 + (process.pid % 300)}`;
    const xvncAuth = spawn('Xvnc', [display, '-rfbport', String(port), '-interface', '127.0.0.1', '-SecurityTypes', 'VncAuth', '-PasswordFile', passwordFile, '-nolisten', 'tcp'], { stdio: 'ignore' });
    const exited = new Promise((r) => xvncAuth.once('exit', r));
    const client = new RfbClient({ host: '127.0.0.1', port, minReconnectDelayMs: 100 });
    try {
      client.start();
      const error = await eventually(async () => client.status().lastError?.includes('authentication') ? client.status().lastError : undefined, 15_000, 'the authentication error', 100);
      assert.match(error!, /requires authentication \(security types 2\); only type None \(1\) is supported/);
      assert.equal(client.status().connected, false);
    } finally {
      await client.close();
      xvncAuth.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('speaks RFB 3.3 to a 3.3 server, and a refresh waits past a size-only update (loopback fake: no server here offers only 3.3)', async () => {
    const received: Buffer[] = [];
    const server = createServer((socket) => {
      socket.on('data', (c) => received.push(c));
      socket.write('RFB 003.003\n');
      socket.once('data', () => {
        // 3.3: the server picks the security type (None) and no result follows.
        const init = Buffer.alloc(24 + 4);
        init.writeUInt16BE(2, 0);
        init.writeUInt16BE(1, 2);
        init.writeUInt32BE(4, 20);
        init.write('fake', 24);
        socket.write(Buffer.concat([Buffer.from([0, 0, 0, 1]), init]));
        // As Xvnc and QEMU do: an update with only an ExtendedDesktopSize rectangle (same size, one screen)...
        const sizeOnly = Buffer.alloc(4 + 12 + 4 + 16);
        sizeOnly.writeUInt16BE(1, 2);
        sizeOnly.writeUInt16BE(2, 8);
        sizeOnly.writeUInt16BE(1, 10);
        sizeOnly.writeInt32BE(-308, 12);
        sizeOnly[16] = 1;
        // ...then one Raw update: two pixels, red and blue (R, G, B, X in our pixel format).
        const update = Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 255, 0]);
        setTimeout(() => socket.write(sizeOnly), 100);
        setTimeout(() => socket.write(update), 300);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const client = new RfbClient({ host: '127.0.0.1', port });
    try {
      client.start();
      assert.equal(await client.waitForConnection(5000), true);
      // refresh() must not take the size-only update for the answer: it resolves once pixels came.
      assert.equal(await client.refresh(5000), true);
      assert.deepEqual([...client.framebuffer.data], [255, 0, 0, 255, 0, 0, 255, 255], 'red, blue, made opaque');
      assert.equal(client.status().rectangles[Encoding.ExtendedDesktopSize], 1);
      assert.equal(client.status().protocolVersion, '3.3');
      assert.equal(client.status().desktopName, 'fake');
      assert.deepEqual([...client.framebuffer.data], [255, 0, 0, 255, 0, 0, 255, 255], 'red, blue, made opaque');
      assert.equal(Buffer.concat(received).subarray(0, 13).toString('latin1'), 'RFB 003.003\n\x01');
    } finally {
      await client.close();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('RFB client on QEMU -vnc', () => {
  let qemu: QemuVnc;
  before(async () => {
    // QEMU logs each key event it gets from VNC: which path (extended or keysym) and the key it became.
    qemu = await startQemuVnc({ trace: ['vnc_key_event_ext', 'vnc_key_event_map'] });
  });
  after(async () => {
    await qemu?.stop();
  });

  it('handshakes, follows the boot-time mode change and sees QEMU extended key events announced', async () => {
    // A paused guest shows QEMU's 640x480 placeholder; SeaBIOS then switches to 720x400 text mode.
    const paused = await startQemuVnc({ paused: true });
    const client = new RfbClient({ host: '127.0.0.1', port: paused.rfbPort });
    const sizes: string[] = [];
    client.on('resize', (w: number, h: number) => sizes.push(`${w}x${h}`));
    client.start();
    try {
      assert.equal(await client.waitForConnection(10_000), true);
      assert.equal(client.status().desktopName, 'QEMU');
      assert.equal(client.status().protocolVersion, '3.8');
      assert.equal(await client.refresh(10_000), true);
      assert.deepEqual([client.status().width, client.status().height], [640, 480]);
      await paused.monitor('cont');
      await eventually(async () => {
        const st = client.status();
        return st.width === 720 && st.height === 400 && st.qemuKeyEvents && st.rectangles[Encoding.ZRLE] ? st : undefined;
      }, 30_000, 'text mode, the key-event acknowledgement and ZRLE pixels', 100);
      assert.equal(sizes.at(-1), '720x400', `sizes seen: ${sizes.join(', ')}`);
      assert.ok((client.status().rectangles[Encoding.ExtendedDesktopSize] ?? 0) > 1, 'announced as ExtendedDesktopSize');
      assert.equal(client.framebuffer.data.length, 720 * 400 * 4);
      assert.equal(await client.refresh(10_000), true, 'updates keep flowing after the resize');
    } finally {
      await client.close();
      await paused.stop();
    }
  });

  it('sends combos as extended key events with XT scancodes, and typed text as keysyms with Shift held', async () => {
    const desktop = new VncDesktop({ host: '127.0.0.1', port: qemu.rfbPort, connectWaitMs: 10_000 });
    try {
      await eventually(async () => (desktop.client.status().qemuKeyEvents ? true : undefined), 10_000, 'the QEMU key-event acknowledgement', 100);
      await desktop.run({ action: 'key', text: 'ctrl+alt+Delete' });
      await desktop.run({ action: 'key', text: 'super F12 Page_Down' });
      await desktop.run({ action: 'type', text: 'aZ!' });
      const lines = await eventually(async () => {
        const l = qemu.stderr().split('\n').filter((x) => /vnc_key_event_(ext|map) down 1/.test(x));
        return l.length >= 11 ? l : undefined;
      }, 5000, 'key events in the QEMU trace');
      const pressed = lines.map((l) => /keycode (0x[0-9a-f]+) \[(\w+)\]/.exec(l)!.slice(1).join(' ') + (l.includes('_ext') ? ' ext' : ''));
      assert.deepEqual(pressed, [
        '0x1d ctrl ext',
        '0x38 alt ext',
        '0xd3 delete ext',
        '0xdb meta_l ext',
        '0x58 f12 ext',
        '0xd1 pgdn ext',
        '0x1e a',
        '0x2a shift ext',
        '0x2c z',
        '0x2a shift ext',
        '0x2 1',
      ]);
      assert.equal(desktop.status().connected, true, 'QEMU kept the connection: the messages were well-formed');
    } finally {
      await desktop.close();
    }
  });

  it('decodes the same screen from ZRLE and from Raw, and it is not blank', async () => {
    const zrle = new VncDesktop({ host: '127.0.0.1', port: qemu.rfbPort, connectWaitMs: 10_000 });
    const raw = new RfbClient({ host: '127.0.0.1', port: qemu.rfbPort, encodings: [Encoding.Raw, Encoding.DesktopSize] });
    raw.start();
    try {
      // Wait for "No bootable device." so both clients see the same, final text.
      const text = await eventually(async () => {
        const { screenshot } = await zrle.run({ action: 'screenshot' });
        const px = await rawPixels(screenshot!);
        let lit = 0;
        for (let i = 0; i < px.length; i += 3) if (px[i] + px[i + 1] + px[i + 2] > 300) lit++;
        return screenshot!.width === 720 && lit > 2000 ? { screenshot: screenshot!, lit } : undefined;
      }, 30_000, 'BIOS text on screen', 500);
      assert.ok(text.lit > 2000, 'text pixels are lit');
      assert.equal(await raw.waitForConnection(10_000), true);
      assert.equal(await raw.refresh(10_000), true);
      await eventually(async () => (raw.status().width === 720 ? true : undefined), 10_000, 'raw client in text mode');
      assert.equal(await raw.refresh(10_000), true);
      assert.ok((raw.status().rectangles[Encoding.Raw] ?? 0) > 0, 'raw rectangles were decoded');
      assert.equal(await zrle.client.refresh(10_000), true);
      // The top 100 rows hold static BIOS text (the blinking text cursor is further down).
      const top = 720 * 100 * 4;
      const a = zrle.client.framebuffer.data.subarray(0, top);
      const b = raw.framebuffer.data.subarray(0, top);
      let diff = 0;
      for (let i = 0; i < top; i += 4) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) diff++;
      assert.equal(diff, 0, 'ZRLE and Raw give identical pixels');
    } finally {
      await zrle.close();
      await raw.close();
    }
  });
});
