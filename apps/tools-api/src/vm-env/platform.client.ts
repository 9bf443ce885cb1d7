import { isJsonObject, requestJson, UpstreamError } from '../http/get-json';

export interface TokenSource {
  read(): Promise<string | null>;
}

export interface VmGatewayToken {
  token: string;
  expiresAt: Date;
}

/** The platform could not issue a token; the message never carries a token. */
export class PlatformError extends Error {
  override readonly name = 'PlatformError';
}

const TIMEOUT_MS = 10_000;

/** The gateway URL as configured (`…/v1`, any trailing slash) without its trailing slash. */
export function gatewayBase(gatewayUrl: URL): string {
  return gatewayUrl.href.replace(/\/+$/, '');
}

/** The platform's origin beside the gateway: the gateway URL without `/v1`. */
export function gatewayOrigin(gatewayUrl: URL): string {
  return gatewayBase(gatewayUrl).replace(/\/v1$/, '');
}

/**
 * The platform API beside the gateway, as this project's tools API reaches it (the gateway URL without `/v1`),
 * authenticated with the tools API's own project token (the file the worker renews).
 */
export class PlatformClient {
  private readonly origin: string;

  constructor(
    gatewayUrl: URL,
    private readonly projectId: string,
    private readonly projectToken: TokenSource,
  ) {
    this.origin = gatewayOrigin(gatewayUrl);
  }

  /** `POST /api/projects/:id/vm-token`: a fresh short-lived gateway token for the VM. @throws PlatformError */
  async issueVmToken(): Promise<VmGatewayToken> {
    const bearer = await this.projectToken.read();
    if (bearer === null) throw new PlatformError('the project token file is missing or unreadable');
    let answer;
    try {
      answer = await requestJson(new URL(`${this.origin}/api/projects/${this.projectId}/vm-token`), {
        method: 'POST',
        body: {},
        headers: { authorization: `Bearer ${bearer}` },
        timeoutMs: TIMEOUT_MS,
      });
    } catch (error) {
      if (error instanceof UpstreamError) throw new PlatformError(`the platform API is ${error.reason === 'timeout' ? 'not answering' : 'unreachable'}`);
      throw error;
    }
    const { status, body } = answer;
    if (status !== 201 || !isJsonObject(body)) throw new PlatformError(`the platform API answered ${status}`);
    const expiresAt = new Date(typeof body.expires_at === 'string' ? body.expires_at : NaN);
    if (typeof body.token !== 'string' || body.token === '' || Number.isNaN(expiresAt.getTime())) {
      throw new PlatformError('the platform API answered without a token');
    }
    return { token: body.token, expiresAt };
  }
}
