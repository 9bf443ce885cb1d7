export { cidrContains, cidrRange, cidrsOverlap, ipv4ToNumber, subnetForIndex, type ProjectSubnet } from './ipam';
export { IpamError, IpamErrorCode } from './ipam.errors';
