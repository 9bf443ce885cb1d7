import { Browser, chromium, Page } from 'playwright-core';

/** Debian's chromium (apt package `chromium`), never a downloaded browser build. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Debian chromium, with everything that would reach past loopback turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Functions run in the page use `(globalThis as any).document` (this project compiles without the DOM's types);
// functions, not strings: the viewer's CSP forbids eval, which string expressions would need.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** Resolves once noVNC's page reports its connection up (its own `noVNC_connected` state on <html>). */
export async function novncConnected(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(() => (globalThis as any).document.documentElement.classList.contains('noVNC_connected'), undefined, { timeout: timeoutMs });
}

/** Resolves once noVNC's page no longer reports a connection. */
export async function novncDisconnected(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(() => !(globalThis as any).document.documentElement.classList.contains('noVNC_connected'), undefined, { timeout: timeoutMs });
}

/** noVNC's screen canvas as a PNG (the framebuffer as the browser drew it). */
export async function novncCanvasPng(page: Page): Promise<Buffer> {
  const dataUrl = (await page.evaluate(() => (globalThis as any).document.querySelector('#noVNC_container canvas').toDataURL('image/png'))) as string;
  return Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64');
}

/** The canvas's box on the page, to click at a framebuffer coordinate (the canvas is scaled to the window). */
export async function canvasPoint(page: Page, fbX: number, fbY: number): Promise<{ x: number; y: number }> {
  const box = (await page.evaluate(() => {
    const c = (globalThis as any).document.querySelector('#noVNC_container canvas');
    const b = c.getBoundingClientRect();
    return { left: b.left, top: b.top, width: b.width, height: b.height, w: c.width, h: c.height };
  })) as { left: number; top: number; width: number; height: number; w: number; h: number };
  return { x: box.left + (fbX * box.width) / box.w, y: box.top + (fbY * box.height) / box.h };
}
