import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteReader } from './byte-reader';
import { Framebuffer } from './framebuffer';
import {
  framebufferUpdateRequest,
  negotiateVersion,
  parseProtocolVersion,
  pointerEventMessage,
  qemuKeyEventMessage,
  setEncodingsMessage,
  setPixelFormatMessage,
} from './rfb-protocol';

describe('RFB protocol messages', () => {
  it('negotiates 3.8, 3.7 or 3.3 as RFC 6143 says', () => {
    assert.equal(negotiateVersion(parseProtocolVersion(Buffer.from('RFB 003.008\n'))), 8);
    assert.equal(negotiateVersion(parseProtocolVersion(Buffer.from('RFB 003.007\n'))), 7);
    assert.equal(negotiateVersion(parseProtocolVersion(Buffer.from('RFB 003.003\n'))), 3);
    assert.equal(negotiateVersion(parseProtocolVersion(Buffer.from('RFB 003.005\n'))), 3);
    assert.equal(negotiateVersion(parseProtocolVersion(Buffer.from('RFB 003.889\n'))), 8);
    assert.throws(() => parseProtocolVersion(Buffer.from('HTTP/1.1 400')), /not an RFB server/);
  });

  it('asks for 32bpp depth-24 little-endian true colour with red lowest', () => {
    assert.deepEqual(
      [...setPixelFormatMessage()],
      [0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0],
    );
  });

  it('encodes SetEncodings with signed pseudo-encodings', () => {
    assert.deepEqual([...setEncodingsMessage([16, -223])], [2, 0, 0, 2, 0, 0, 0, 16, 0xff, 0xff, 0xff, 0x21]);
  });

  it('encodes update requests, pointer and QEMU key events', () => {
    assert.deepEqual([...framebufferUpdateRequest(true, 1, 2, 1024, 768)], [3, 1, 0, 1, 0, 2, 4, 0, 3, 0]);
    assert.deepEqual([...pointerEventMessage(0x88, 300, 5)], [5, 0x88, 1, 44, 0, 5]);
    assert.deepEqual([...qemuKeyEventMessage(true, 0xff0d, 0x1c)], [255, 0, 0, 1, 0, 0, 0xff, 0x0d, 0, 0, 0, 0x1c]);
  });
});

describe('ByteReader', () => {
  it('assembles reads across chunks and fails pending reads when the socket closes', async () => {
    const r = new ByteReader();
    const first = r.read(5);
    r.push(Buffer.from([1, 2]));
    r.push(Buffer.from([3, 4, 5, 6]));
    assert.deepEqual([...(await first)], [1, 2, 3, 4, 5]);
    assert.equal(await r.u8(), 6);
    const pending = r.u16();
    r.fail(new Error('closed'));
    await assert.rejects(pending, /closed/);
    await assert.rejects(r.read(1), /closed/);
  });
});

describe('Framebuffer', () => {
  it('starts opaque black, and Raw pixels are made opaque (sharp would scale alpha 0 to black)', () => {
    const fb = new Framebuffer(2, 1);
    assert.deepEqual([...fb.data], [0, 0, 0, 255, 0, 0, 0, 255]);
    fb.putRect(0, 0, 2, 1, Framebuffer.makeOpaque(Buffer.from([1, 2, 3, 0, 4, 5, 6, 0])));
    assert.deepEqual([...fb.data], [1, 2, 3, 255, 4, 5, 6, 255]);
    fb.resize(1, 1);
    assert.deepEqual([...fb.data], [0, 0, 0, 255]);
  });

  it('copies overlapping CopyRect regions correctly', () => {
    const fb = new Framebuffer(4, 1);
    fb.putRect(0, 0, 4, 1, Buffer.from([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]));
    fb.copyRect(0, 0, 1, 0, 3, 1);
    assert.deepEqual([0, 1, 2, 3].map((i) => fb.data[i * 4]), [1, 1, 2, 3]);
  });

  it('counts a generation only when pixels change', () => {
    const fb = new Framebuffer(2, 1);
    const g0 = fb.generation;
    fb.putRect(0, 0, 2, 1, Buffer.from([0, 0, 0, 255, 0, 0, 0, 255]));
    assert.equal(fb.generation, g0, 'same pixels');
    fb.putRect(1, 0, 1, 1, Buffer.from([1, 2, 3, 255]));
    assert.equal(fb.generation, g0 + 1);
    assert.deepEqual([...fb.data], [0, 0, 0, 255, 1, 2, 3, 255]);
    fb.resize(3, 3);
    assert.equal(fb.generation, g0 + 2);
  });

  it('clips rectangles at the edge', () => {
    const fb = new Framebuffer(2, 2);
    fb.putRect(1, 1, 2, 2, Buffer.alloc(16, 7));
    assert.deepEqual([...fb.data.subarray(12)], [7, 7, 7, 7]);
    assert.deepEqual([...fb.data.subarray(0, 12)], [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  });
});
