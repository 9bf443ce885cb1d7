import sharp from 'sharp';
import type { Screenshot, ScreenshotOptions } from './computer.types';

export interface RawImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, alpha 255 (the Framebuffer invariant); alpha 0 would turn black when scaled. */
  data: Buffer;
}

/**
 * Encodes a framebuffer copy, optionally scaled to `width`x`height`. PNG uses a low zlib level and no
 * adaptive filtering: screens compress well anyway and encoding time dominates the screenshot latency.
 */
export async function encodeScreenshot(
  image: RawImage,
  width: number,
  height: number,
  options: ScreenshotOptions = {},
): Promise<Pick<Screenshot, 'data' | 'mimeType' | 'width' | 'height'>> {
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } }).removeAlpha();
  if (width !== image.width || height !== image.height) {
    pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
  }
  if (options.format === 'jpeg') {
    const quality = Math.min(100, Math.max(1, Math.round(options.quality ?? 80)));
    return { data: await pipeline.jpeg({ quality }).toBuffer(), mimeType: 'image/jpeg', width, height };
  }
  const data = await pipeline.png({ compressionLevel: 2, adaptiveFiltering: false }).toBuffer();
  return { data, mimeType: 'image/png', width, height };
}
