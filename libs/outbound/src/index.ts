export { classifyAddress, buildAddressRules, AddressRules, DeniedNetwork, Refusal } from './address-rules';
export { BodyLimits } from './bounded-body';
export { dnsServerResolver, HostResolver, systemResolver } from './host-resolver';
export { OutboundError, OutboundErrorCode } from './outbound.errors';
export { OutboundModule } from './outbound.module';
export { OutboundPolicy, OutboundSettings, PolicyFetch } from './outbound.policy';
export { OutboundEnv, outboundSettingsFromConfig } from './outbound.settings';
