import type { JsonLogger } from '../logging/json-logger';
import {
  DesktopUnavailableError,
  type ComputerAction,
  type ComputerResult,
  type Desktop,
  type DesktopStatus,
} from './computer.types';

/** What a Desktop implementation is built from: the VM's VNC endpoint and the screenshot width cap. */
export interface DesktopOptions {
  host: string;
  port: number;
  /** Screenshots wider than this are scaled down; actions use the scaled coordinate space. */
  maxWidth: number;
  logger?: JsonLogger;
}

/** Builds the process's one Desktop; `(options) => new VncDesktop(options)` in production. */
export type DesktopFactory = (options: DesktopOptions) => Desktop;

/**
 * The Desktop used until an RFB implementation is plugged in: never connected, every action refused with a
 * message a model can act on. vm_status then reports `booting` until the guest agent answers.
 */
export class UnavailableDesktop implements Desktop {
  private static readonly MESSAGE = 'screen and input are not available: this tools API has no VNC client configured';

  status(): DesktopStatus {
    return { connected: false, framebufferWidth: 0, framebufferHeight: 0, desktopName: null, lastError: UnavailableDesktop.MESSAGE };
  }

  run(_action: ComputerAction): Promise<ComputerResult> {
    return Promise.reject(new DesktopUnavailableError(UnavailableDesktop.MESSAGE));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const unavailableDesktopFactory: DesktopFactory = () => new UnavailableDesktop();
