/** RFB (RFC 6143) constants and client-to-server message builders. Pure: no sockets here. */

export const Encoding = {
  Raw: 0,
  CopyRect: 1,
  ZRLE: 16,
  DesktopSize: -223,
  LastRect: -224,
  Cursor: -239,
  QemuExtendedKeyEvent: -258,
  ExtendedDesktopSize: -308,
} as const;

export const SecurityType = { Invalid: 0, None: 1, VncAuth: 2 } as const;

export const ServerMessage = { FramebufferUpdate: 0, SetColourMapEntries: 1, Bell: 2, ServerCutText: 3 } as const;

/** RFB pointer button mask bits (buttons 4-7 are the wheel). */
export const Button = {
  Left: 1,
  Middle: 2,
  Right: 4,
  WheelUp: 8,
  WheelDown: 16,
  WheelLeft: 32,
  WheelRight: 64,
} as const;

/**
 * 32 bpp, depth 24, little-endian true colour with red in the lowest byte: each pixel lands in memory as
 * R, G, B, X, so Raw rectangles copy straight into an RGBX buffer and ZRLE's 3-byte CPIXELs are R, G, B.
 */
export const PIXEL_FORMAT = Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0]);

export interface ProtocolVersion {
  major: number;
  minor: number;
}

/** Parses the server's 12-byte `RFB xxx.yyy\n` greeting. */
export function parseProtocolVersion(greeting: Buffer): ProtocolVersion {
  const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(greeting.toString('latin1'));
  if (!m) throw new Error(`not an RFB server (greeting ${JSON.stringify(greeting.toString('latin1'))})`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/**
 * The version the client answers with: 3.8 when the server offers 3.8 or later, 3.7 for 3.7, else 3.3
 * (RFC 6143 §7.1.1: other minor versions must be treated as 3.3).
 */
export function negotiateVersion(server: ProtocolVersion): 3 | 7 | 8 {
  if (server.major !== 3) return server.major > 3 ? 8 : 3;
  if (server.minor >= 8) return 8;
  if (server.minor === 7) return 7;
  return 3;
}

export function versionMessage(minor: 3 | 7 | 8): Buffer {
  return Buffer.from(`RFB 003.00${minor}\n`, 'latin1');
}

export function setPixelFormatMessage(): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0, 0]), PIXEL_FORMAT]);
}

export function setEncodingsMessage(encodings: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * encodings.length);
  b[0] = 2;
  b.writeUInt16BE(encodings.length, 2);
  encodings.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
  return b;
}

export function framebufferUpdateRequest(incremental: boolean, x: number, y: number, w: number, h: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 3;
  b[1] = incremental ? 1 : 0;
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  b.writeUInt16BE(w, 6);
  b.writeUInt16BE(h, 8);
  return b;
}

export function keyEventMessage(down: boolean, keysym: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 4;
  b[1] = down ? 1 : 0;
  b.writeUInt32BE(keysym >>> 0, 4);
  return b;
}

/** QEMU Extended Key Event (message 255, subtype 0): the XT scancode as well as the keysym. */
export function qemuKeyEventMessage(down: boolean, keysym: number, xtKeycode: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 255;
  b[1] = 0;
  b.writeUInt16BE(down ? 1 : 0, 2);
  b.writeUInt32BE(keysym >>> 0, 4);
  b.writeUInt32BE(xtKeycode >>> 0, 8);
  return b;
}

export function pointerEventMessage(buttonMask: number, x: number, y: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 5;
  b[1] = buttonMask & 0xff;
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  return b;
}
