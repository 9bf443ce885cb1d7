export { cidrContains, cidrRange, cidrsOverlap, ipv4ToNumber, MAX_SUBNET_INDEX, MIN_SUBNET_INDEX, subnetForIndex, type ProjectSubnet } from './ipam';
export { IpamError, IpamErrorCode } from './ipam.errors';
