import assert from 'node:assert/strict';
import sharp from 'sharp';

/** Share of pixels (0–1) that differ between two same-size images (PNG or JPEG, decoded by sharp). */
export async function changedShare(a: Buffer, b: Buffer): Promise<number> {
  const [ra, rb] = await Promise.all([sharp(a).raw().toBuffer({ resolveWithObject: true }), sharp(b).raw().toBuffer({ resolveWithObject: true })]);
  assert.deepEqual([ra.info.width, ra.info.height], [rb.info.width, rb.info.height], 'images of the same size');
  const px = ra.info.channels;
  let changed = 0;
  for (let i = 0; i < ra.data.length; i += px) {
    if (ra.data[i] !== rb.data[i] || ra.data[i + 1] !== rb.data[i + 1] || ra.data[i + 2] !== rb.data[i + 2]) changed++;
  }
  return changed / (ra.data.length / px);
}
