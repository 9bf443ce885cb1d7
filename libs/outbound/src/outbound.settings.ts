import type { Env } from '@pantheon/config';
import { PROJECT_SUPERNET } from '@pantheon/ipam';
import type { OutboundSettings } from './outbound.policy';

export type OutboundEnv = Pick<
  Env,
  'OUTBOUND_ALLOW_HOSTS' | 'OUTBOUND_DNS_SERVERS' | 'OUTBOUND_MAX_BODY_BYTES' | 'OUTBOUND_MAX_SSE_LINE_BYTES' | 'PLATFORM_SUBNET' | 'TOOLS_SUBNET'
>;

/** The policy's slice of the validated config; the platform and project networks are always refused. */
export function outboundSettingsFromConfig(env: OutboundEnv): OutboundSettings {
  return {
    allowHosts: env.OUTBOUND_ALLOW_HOSTS,
    dnsServers: env.OUTBOUND_DNS_SERVERS.split(',').map((s) => s.trim()).filter(Boolean),
    maxBodyBytes: env.OUTBOUND_MAX_BODY_BYTES,
    maxSseLineBytes: env.OUTBOUND_MAX_SSE_LINE_BYTES,
    denied: [
      { range: 'platform', label: `an address of the platform network (${env.PLATFORM_SUBNET})`, cidr: env.PLATFORM_SUBNET },
      { range: 'projects', label: `an address of the project networks (${PROJECT_SUPERNET})`, cidr: PROJECT_SUPERNET },
      { range: 'tools', label: `an address of the tools network (${env.TOOLS_SUBNET})`, cidr: env.TOOLS_SUBNET },
    ],
  };
}
