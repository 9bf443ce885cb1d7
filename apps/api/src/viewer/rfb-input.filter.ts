/**
 * The browser → VM half of an RFB (VNC) session, parsed message by message so a view-only viewer can be
 * enforced on the relay: the VM never sees a key, a pointer event, a clipboard write, a power operation or a
 * desktop resize from a view-only browser, whatever its JavaScript does.
 *
 * Client → server stream (RFC 6143, with the extensions noVNC sends):
 *   handshake   ProtocolVersion (12 bytes), the chosen security type (1 byte; type 2 "VNC auth" is followed
 *               by its 16-byte response), ClientInit (1 byte);
 *   messages    SetPixelFormat(0) 20, SetEncodings(2) 4+4n, FramebufferUpdateRequest(3) 10, KeyEvent(4) 8,
 *               PointerEvent(5) 6, ClientCutText(6) 8+|len| (a negative length is the extended clipboard),
 *               EnableContinuousUpdates(150) 10, ClientFence(248) 9+len, xvp(250) 4, SetDesktopSize(251)
 *               8+16n, QEMU(255): subtype 0 extended key 12, subtype 1 audio 4 (or 10 for set-format).
 * Messages may be split across or packed into WebSocket frames in any way; the filter keeps what it has not
 * yet seen whole. Anything it cannot parse fails closed: `push` throws and the relay ends the session.
 */
export class RfbProtocolError extends Error {}

/** Message types dropped in view-only mode: input, clipboard, power (xvp) and resizing the VM's screen. */
const INPUT_TYPES = new Set([4, 5, 6, 250, 251]);

type Stage = 'version' | 'security' | 'vnc-auth' | 'client-init' | 'messages';

/** A bound on a single message (a clipboard text), so a browser cannot make the relay buffer without end. */
export const RFB_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class RfbInputFilter {
  private stage: Stage = 'version';
  private pending: Buffer = Buffer.alloc(0);
  private dropped = 0;

  /** @param viewOnly drop input messages (otherwise every message passes, still parsed). */
  constructor(private readonly viewOnly: boolean) {}

  /** Messages dropped so far. */
  get droppedCount(): number {
    return this.dropped;
  }

  /**
   * Feeds the next bytes from the browser; returns the bytes to forward to the VM now (possibly empty).
   * Throws RfbProtocolError on a stream it cannot parse.
   */
  push(chunk: Buffer): Buffer {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const size = this.nextSize(offset);
      if (size === null || offset + size > this.pending.length) break;
      const message = this.pending.subarray(offset, offset + size);
      if (this.forward(message)) out.push(message);
      offset += size;
    }
    this.pending = offset === this.pending.length ? Buffer.alloc(0) : Buffer.from(this.pending.subarray(offset));
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** Size of the unit starting at `offset`, or null when more bytes are needed to know it. */
  private nextSize(offset: number): number | null {
    const buf = this.pending;
    const left = buf.length - offset;
    switch (this.stage) {
      case 'version':
        return 12;
      case 'security':
      case 'client-init':
        return 1;
      case 'vnc-auth':
        return 16;
      case 'messages':
        break;
    }
    if (left < 1) return null;
    const type = buf[offset];
    const need = (n: number): number | null => (left >= n ? n : null);
    let size: number | null;
    switch (type) {
      case 0: return 20;
      case 3: return 10;
      case 4: return 8;
      case 5: return 6;
      case 150: return 10;
      case 250: return 4;
      case 2:
        size = need(4);
        return size === null ? null : 4 + 4 * buf.readUInt16BE(offset + 2);
      case 6:
        size = need(8);
        return size === null ? null : this.bounded(8 + Math.abs(buf.readInt32BE(offset + 4)));
      case 248:
        size = need(9);
        return size === null ? null : 9 + buf[offset + 8];
      case 251:
        size = need(8);
        return size === null ? null : 8 + 16 * buf[offset + 6];
      case 255: {
        if (need(2) === null) return null;
        const subtype = buf[offset + 1];
        if (subtype === 0) return 12;
        if (subtype === 1) {
          if (need(4) === null) return null;
          const op = buf.readUInt16BE(offset + 2);
          if (op === 0 || op === 1) return 4;
          if (op === 2) return 10;
        }
        throw new RfbProtocolError(`unknown QEMU client message ${subtype}`);
      }
      default:
        throw new RfbProtocolError(`unknown client message type ${type}`);
    }
  }

  private bounded(size: number): number {
    if (size > RFB_MAX_MESSAGE_BYTES) throw new RfbProtocolError('client message too large');
    return size;
  }

  /** Advances the handshake; says whether `unit` goes to the VM. */
  private forward(unit: Buffer): boolean {
    switch (this.stage) {
      case 'version':
        if (!/^RFB \d{3}\.\d{3}\n$/.test(unit.toString('latin1'))) throw new RfbProtocolError('bad protocol version');
        // RFB 3.3 has no client-chosen security type: the server decides (None or VNC auth); noVNC never
        // speaks it to a server offering 3.8, so fail closed rather than guess.
        if (unit.toString('latin1') === 'RFB 003.003\n') throw new RfbProtocolError('RFB 3.3 is not relayed');
        this.stage = 'security';
        return true;
      case 'security':
        this.stage = unit[0] === 2 ? 'vnc-auth' : unit[0] === 1 ? 'client-init' : this.unsupported(unit[0]);
        return true;
      case 'vnc-auth':
        this.stage = 'client-init';
        return true;
      case 'client-init':
        this.stage = 'messages';
        return true;
      case 'messages': {
        const type = unit[0];
        const isInput = INPUT_TYPES.has(type) || (type === 255 && unit[1] === 0);
        if (this.viewOnly && isInput) {
          this.dropped++;
          return false;
        }
        return true;
      }
    }
  }

  private unsupported(type: number): never {
    // Other security types (TLS, VeNCrypt, RA2) change the stream's framing or encrypt it.
    throw new RfbProtocolError(`security type ${type} is not relayed`);
  }
}
