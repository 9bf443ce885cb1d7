import { IpamError } from '@pantheon/ipam';
import { RuntimeError, RuntimeErrorCode } from '@pantheon/runtime';
import { ShareFolderError } from './share-folder';

/** A provisioning failure whose message is written for the user (it becomes the project's last_error). */
export class ProvisionFailure extends Error {}

/**
 * What the project's owner is told. Engine messages name host paths, image names and addresses, so a runtime
 * error becomes a fixed sentence per code; the details stay in the worker's log line.
 */
const RUNTIME_REASONS: Record<RuntimeErrorCode, string> = {
  [RuntimeErrorCode.IMAGE_NOT_FOUND]: "the project's machine image is not available on this platform",
  [RuntimeErrorCode.IMAGE_PULL_FAILED]: "the project's machine image could not be downloaded",
  [RuntimeErrorCode.DOCKER_UNAVAILABLE]: 'the container engine was unavailable; try again later',
  [RuntimeErrorCode.SUBNET_IN_USE]: "the project's network could not be created (its address range is in use)",
  [RuntimeErrorCode.ADDRESS_IN_USE]: "the project's network could not be set up (an address is in use)",
  [RuntimeErrorCode.NOT_MANAGED]: "a resource with the project's name exists that the platform does not manage",
  [RuntimeErrorCode.CONFLICT]: "the project's resources are in a state that prevented the build",
  [RuntimeErrorCode.INVALID_SPEC]: "the project's machine could not be created from its settings",
  [RuntimeErrorCode.INVALID_PROJECT_ID]: 'internal error while provisioning (see worker logs)',
  [RuntimeErrorCode.NOT_FOUND]: 'the container engine failed while building the project',
  [RuntimeErrorCode.DOCKER_ERROR]: 'the container engine failed while building the project',
};

/**
 * Why an image could not be pulled, in words an owner can act on (or pass to the operator). The image name is
 * public configuration; the engine's own text (which may name hosts and paths) is only matched, never shown.
 */
export function pullFailureReason(image: string, engineMessage: string): string {
  const m = engineMessage.toLowerCase();
  let why: string;
  if (/no result within/.test(m)) why = 'the download took too long';
  else if (/unauthorized|denied|authentication required|forbidden/.test(m)) {
    why = 'the registry refused access (the image is private or the registry credentials are wrong)';
  } else if (/manifest unknown|not found|does not exist|repository name must|invalid reference/.test(m)) {
    why = 'the registry has no such image';
  } else if (/no space left/.test(m)) why = 'the platform ran out of disk space';
  else if (/connection refused|no such host|dial tcp|timeout|i\/o timeout|network is unreachable|tls|eof|server misbehaving/.test(m)) {
    why = 'the registry could not be reached';
  } else why = 'the download failed';
  return `the image ${image} could not be downloaded: ${why}`;
}

export function userFacingReason(err: unknown): string {
  if (err instanceof ProvisionFailure) return err.message;
  if (err instanceof RuntimeError) return RUNTIME_REASONS[err.code] ?? RUNTIME_REASONS[RuntimeErrorCode.DOCKER_ERROR];
  if (err instanceof ShareFolderError) return "the project's shared folder is in a state the platform will not use";
  if (err instanceof IpamError) return "the project's network assignment is invalid";
  return 'internal error while provisioning (see worker logs)';
}
