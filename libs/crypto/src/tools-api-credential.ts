import { createHmac } from 'node:crypto';
import type { KeyRing } from './key-ring';

const CREDENTIAL_LABEL = 'pantheon/tools-api-credential/v1:';

/** Recognisable prefix, so a leaked credential can be found by secret scanners. */
export const TOOLS_API_CREDENTIAL_PREFIX = 'tac_';

/**
 * The bearer credential that a project's tools API requires, derived as HMAC-SHA256(current master key,
 * label ‖ project id). The API and the worker compute it when they call the tools API, so nothing stores
 * it; the worker writes it into the project's tools-secrets folder for the tools API to compare against.
 * It changes when a new master key version becomes current (the worker's reconciler rewrites the files).
 */
export function toolsApiCredential(ring: KeyRing, projectId: string): string {
  const mac = createHmac('sha256', ring.get(ring.current)).update(`${CREDENTIAL_LABEL}${projectId.toLowerCase()}`).digest();
  return `${TOOLS_API_CREDENTIAL_PREFIX}${mac.toString('base64url')}`;
}
