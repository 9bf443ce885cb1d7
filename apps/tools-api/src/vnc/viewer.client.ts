import { getJson, UpstreamError } from '../http/get-json';

/** The VM's web viewer (noVNC in the real image) on `VM_VIEWER_PORT`. */
export class ViewerClient {
  private readonly healthUrl: URL;

  constructor(
    baseUrl: URL,
    private readonly timeoutMs: number,
  ) {
    this.healthUrl = new URL('/health', baseUrl);
  }

  /** True when `GET /health` answers 200 within the timeout. */
  async isUp(): Promise<boolean> {
    try {
      return (await getJson(this.healthUrl, this.timeoutMs)).status === 200;
    } catch (error) {
      if (error instanceof UpstreamError) return false;
      throw error;
    }
  }
}
