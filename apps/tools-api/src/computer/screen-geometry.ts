import { ComputerInputError, type Coordinate } from './computer.types';

/**
 * The screenshot's size and the mapping between its pixels (where the model points) and the framebuffer's.
 * Screenshots are scaled down to at most `maxWidth`, never up.
 */
export interface ScreenGeometry {
  fbWidth: number;
  fbHeight: number;
  width: number;
  height: number;
}

export function screenGeometry(fbWidth: number, fbHeight: number, maxWidth: number): ScreenGeometry {
  if (fbWidth <= maxWidth) return { fbWidth, fbHeight, width: fbWidth, height: fbHeight };
  return { fbWidth, fbHeight, width: maxWidth, height: Math.max(1, Math.round((fbHeight * maxWidth) / fbWidth)) };
}

function checkCoordinate(c: unknown, g: ScreenGeometry, what: string): Coordinate {
  if (!Array.isArray(c) || c.length !== 2 || !c.every((v) => Number.isInteger(v))) {
    throw new ComputerInputError(`${what} must be [x, y] with integer x and y`);
  }
  const [x, y] = c as Coordinate;
  if (x < 0 || y < 0 || x >= g.width || y >= g.height) {
    throw new ComputerInputError(
      `${what} [${x}, ${y}] is off screen: x must be 0-${g.width - 1} and y 0-${g.height - 1} (screenshot is ${g.width}x${g.height})`,
    );
  }
  return [x, y];
}

/** A screenshot-space coordinate to the framebuffer pixel under it (the centre of its scaled cell). */
export function toFramebuffer(c: unknown, g: ScreenGeometry, what = 'coordinate'): Coordinate {
  const [x, y] = checkCoordinate(c, g, what);
  const fx = Math.min(g.fbWidth - 1, Math.floor(((x + 0.5) * g.fbWidth) / g.width));
  const fy = Math.min(g.fbHeight - 1, Math.floor(((y + 0.5) * g.fbHeight) / g.height));
  return [fx, fy];
}

/** A framebuffer pixel to the screenshot pixel showing it. */
export function toScreenshot(c: Coordinate, g: ScreenGeometry): Coordinate {
  return [
    Math.min(g.width - 1, Math.floor((c[0] * g.width) / g.fbWidth)),
    Math.min(g.height - 1, Math.floor((c[1] * g.height) / g.fbHeight)),
  ];
}

/** A zoom region [x0, y0, x1, y1] (screenshot space, x1/y1 exclusive) as a framebuffer rectangle. */
export function regionToFramebuffer(region: unknown, g: ScreenGeometry): { x: number; y: number; w: number; h: number } {
  if (!Array.isArray(region) || region.length !== 4 || !region.every((v) => Number.isInteger(v))) {
    throw new ComputerInputError('region must be [x0, y0, x1, y1] with integers');
  }
  const [x0, y0, x1, y1] = region as number[];
  if (x0 < 0 || y0 < 0 || x1 > g.width || y1 > g.height || x0 >= x1 || y0 >= y1) {
    throw new ComputerInputError(
      `region [${region.join(', ')}] is invalid: need 0 <= x0 < x1 <= ${g.width} and 0 <= y0 < y1 <= ${g.height}`,
    );
  }
  const fx0 = Math.floor((x0 * g.fbWidth) / g.width);
  const fy0 = Math.floor((y0 * g.fbHeight) / g.height);
  const fx1 = Math.min(g.fbWidth, Math.ceil((x1 * g.fbWidth) / g.width));
  const fy1 = Math.min(g.fbHeight, Math.ceil((y1 * g.fbHeight) / g.height));
  return { x: fx0, y: fy0, w: fx1 - fx0, h: fy1 - fy0 };
}
