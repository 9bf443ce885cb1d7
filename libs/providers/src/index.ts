export { PROVIDER_IDS, ProviderId, DEFAULT_PROVIDER, MODEL_REF_PATTERN } from './provider-ids';
