import { CodedError } from '@pantheon/errors';

/** Stable codes for {@link RuntimeError}; callers map these, never the engine's raw errors. */
export enum RuntimeErrorCode {
  /** The image is not present locally. */
  IMAGE_NOT_FOUND = 'IMAGE_NOT_FOUND',
  /** The image is absent and could not be pulled (unknown, denied, registry unreachable, timed out). */
  IMAGE_PULL_FAILED = 'IMAGE_PULL_FAILED',
  /** A referenced container or network does not exist. */
  NOT_FOUND = 'NOT_FOUND',
  /** The object exists in a state that prevents the operation (e.g. a network with containers attached). */
  CONFLICT = 'CONFLICT',
  /** An object with the requested name exists but was not created by Pantheon; it is never touched. */
  NOT_MANAGED = 'NOT_MANAGED',
  /** The requested subnet overlaps a network that already exists. */
  SUBNET_IN_USE = 'SUBNET_IN_USE',
  /** The requested static address is taken on that network. */
  ADDRESS_IN_USE = 'ADDRESS_IN_USE',
  INVALID_PROJECT_ID = 'INVALID_PROJECT_ID',
  /** The spec was rejected (bad address, missing bind-mount source, ...). */
  INVALID_SPEC = 'INVALID_SPEC',
  /** The engine cannot be reached (socket missing, refused, timed out). */
  DOCKER_UNAVAILABLE = 'DOCKER_UNAVAILABLE',
  /** Any other engine failure. */
  DOCKER_ERROR = 'DOCKER_ERROR',
}

/**
 * The only error `@pantheon/runtime` throws; engine errors are converted at the driver's edge.
 *
 * Invariant: messages name objects (containers, networks, images, addresses) and the engine's reason,
 * never environment values, so they are safe to log.
 */
export class RuntimeError extends CodedError<RuntimeErrorCode> {}
