import { Global, Module } from '@nestjs/common';
import { ApiMetrics } from './api.metrics';

/** The API's metric families, for every resource module (the registry and listener come from MetricsModule). */
@Global()
@Module({ providers: [ApiMetrics], exports: [ApiMetrics] })
export class ApiMetricsModule {}
