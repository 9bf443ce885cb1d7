import { CodedError } from '@pantheon/errors';

/** Stable codes for {@link IpamError}. */
export enum IpamErrorCode {
  SUBNET_INDEX_OUT_OF_RANGE = 'SUBNET_INDEX_OUT_OF_RANGE',
}

/** The only error `@pantheon/ipam` throws; messages name the offending value only. */
export class IpamError extends CodedError<IpamErrorCode> {}
