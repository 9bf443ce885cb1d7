export { cidrContains, cidrRange, cidrsOverlap, ipv4ToNumber, PROJECT_SUPERNET, subnetForIndex, type ProjectSubnet } from './ipam';
export { IpamError, IpamErrorCode } from './ipam.errors';
