export { APP_CONFIG, ConfigModule } from './config.module';
export { ConfigError, ConfigErrorCode } from './config.errors';
export { AppConfig, loadConfig, loadConfigSlice } from './load-config';
export { envSchema, Env, SENSITIVE_VARS } from './env.schema';
export { parseTrustProxy, TrustProxyParse } from './trust-proxy';
