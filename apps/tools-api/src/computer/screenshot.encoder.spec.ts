import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { encodeScreenshot } from './screenshot.encoder';

describe('encodeScreenshot', () => {
  const image = { width: 8, height: 4, data: Buffer.alloc(8 * 4 * 4) };
  for (let i = 0; i < 32; i++) image.data.set([200, 100, 50, 255], i * 4);

  it('writes an RGB PNG of the colours, scaled to the requested size', async () => {
    const shot = await encodeScreenshot(image, 4, 2);
    assert.equal(shot.mimeType, 'image/png');
    const meta = await sharp(shot.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 4, 2, 3]);
    const raw = await sharp(shot.data).raw().toBuffer();
    assert.deepEqual([...raw.subarray(0, 3)], [200, 100, 50]);
  });

  it('writes JPEG when asked', async () => {
    const shot = await encodeScreenshot(image, 8, 4, { format: 'jpeg', quality: 90 });
    assert.equal(shot.mimeType, 'image/jpeg');
    assert.equal((await sharp(shot.data).metadata()).format, 'jpeg');
  });
});
