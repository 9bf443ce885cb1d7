import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RfbInputFilter, RfbProtocolError } from './rfb-input.filter';

const handshake = Buffer.concat([Buffer.from('RFB 003.008\n', 'latin1'), Buffer.from([1]), Buffer.from([1])]);
const setPixelFormat = Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.alloc(16, 7)]);
const setEncodings = (n: number) => {
  const b = Buffer.alloc(4 + 4 * n);
  b[0] = 2;
  b.writeUInt16BE(n, 2);
  for (let i = 0; i < n; i++) b.writeInt32BE(-(i + 1), 4 + 4 * i);
  return b;
};
const fbRequest = Buffer.from([3, 1, 0, 0, 0, 0, 4, 0, 3, 0]);
const keyEvent = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]);
const pointerEvent = Buffer.from([5, 1, 0, 10, 0, 20]);
const cutText = (text: string, extended = false) => {
  const body = Buffer.from(text, 'latin1');
  const b = Buffer.alloc(8);
  b[0] = 6;
  b.writeInt32BE(extended ? -body.length : body.length, 4);
  return Buffer.concat([b, body]);
};
const qemuKey = Buffer.from([255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0x1e]);
const qemuAudio = Buffer.from([255, 1, 0, 0]);
const fence = Buffer.from([248, 0, 0, 0, 0, 0, 0, 1, 2, 0xaa, 0xbb]);
const continuous = Buffer.from([150, 1, 0, 0, 0, 0, 4, 0, 3, 0]);
const xvp = Buffer.from([250, 0, 1, 2]);
const setDesktopSize = Buffer.concat([Buffer.from([251, 0, 4, 0, 3, 0, 1, 0]), Buffer.alloc(16)]);

const messages = [setPixelFormat, setEncodings(5), fbRequest, keyEvent, pointerEvent, cutText('secret'), qemuKey, qemuAudio, fence, continuous, xvp, setDesktopSize, fbRequest];
const stream = Buffer.concat([handshake, ...messages]);
const allowed = Buffer.concat([handshake, setPixelFormat, setEncodings(5), fbRequest, qemuAudio, fence, continuous, fbRequest]);

/** Feeds `data` in chunks of the given sizes (cycled) and joins what comes out. */
function run(filter: RfbInputFilter, data: Buffer, sizes: number[]): Buffer {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length];
    out.push(filter.push(data.subarray(at, at + size)));
    at += size;
  }
  return Buffer.concat(out);
}

describe('RfbInputFilter', () => {
  it('passes every message through when the viewer may operate the desktop', () => {
    const filter = new RfbInputFilter(false);
    assert.deepEqual(filter.push(stream), stream);
    assert.equal(filter.droppedCount, 0);
  });

  it('drops keys, pointer, clipboard, QEMU keys, xvp and resizes in view-only mode', () => {
    const filter = new RfbInputFilter(true);
    assert.deepEqual(filter.push(stream), allowed);
    assert.equal(filter.droppedCount, 6);
  });

  it('gives the same result however the stream is split across WebSocket frames', () => {
    for (const sizes of [[1], [2], [3], [5, 1], [7], [11, 2, 1], [64]]) {
      assert.deepEqual(run(new RfbInputFilter(true), stream, sizes), allowed, `chunks of ${sizes}`);
      assert.deepEqual(run(new RfbInputFilter(false), stream, sizes), stream, `chunks of ${sizes}`);
    }
  });

  it('holds a partial message back until it is whole, then forwards it', () => {
    const filter = new RfbInputFilter(true);
    filter.push(handshake);
    assert.equal(filter.push(fbRequest.subarray(0, 4)).length, 0);
    assert.deepEqual(filter.push(fbRequest.subarray(4)), fbRequest);
    // A clipboard message split inside its text is dropped whole, never partly forwarded.
    const cut = cutText('a long clipboard text');
    assert.equal(filter.push(cut.subarray(0, 10)).length, 0);
    assert.equal(filter.push(cut.subarray(10)).length, 0);
  });

  it('understands the extended clipboard (negative length) and the VNC-auth response', () => {
    const filter = new RfbInputFilter(true);
    const auth = Buffer.concat([Buffer.from('RFB 003.008\n', 'latin1'), Buffer.from([2]), Buffer.alloc(16, 9), Buffer.from([1])]);
    assert.deepEqual(filter.push(Buffer.concat([auth, cutText('xyz', true), fbRequest])), Buffer.concat([auth, fbRequest]));
  });

  it('fails closed on what it cannot parse', () => {
    assert.throws(() => new RfbInputFilter(true).push(Buffer.concat([handshake, Buffer.from([99, 0, 0, 0])])), RfbProtocolError);
    assert.throws(() => new RfbInputFilter(true).push(Buffer.from('GET / HTTP/1.1\r\n')), RfbProtocolError);
    assert.throws(() => new RfbInputFilter(true).push(Buffer.from('RFB 003.008\n\x13', 'latin1')), /security type 19/);
    assert.throws(() => new RfbInputFilter(true).push(Buffer.concat([handshake, Buffer.from([255, 9])])), /QEMU/);
    const huge = Buffer.alloc(8);
    huge[0] = 6;
    huge.writeInt32BE(0x7fffffff, 4);
    assert.throws(() => new RfbInputFilter(false).push(Buffer.concat([handshake, huge])), /too large/);
  });
});
