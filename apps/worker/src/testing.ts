// The worker's testing entry (`@pantheon/worker/testing`): what test/ and bench/ use of the worker's internals,
// so they never import apps/worker/src by path. Production code does not import this file.
export { WorkerModule } from './worker.module';
export { WorkerMetrics } from './worker.metrics';
export { rotateProviderKeys } from './tasks/keys-rotate';
export { writeOemBundle, OEM_LAYOUT } from './provisioning/oem-bundle';
export { GatewayInvalidatingProjects } from './gateway-invalidating-projects';
