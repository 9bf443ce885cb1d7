import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@pantheon/config';
import { LoggerModule } from 'nestjs-pino';
import { REDACT_PATHS } from '@pantheon/crypto';

/**
 * The background worker: no controllers, no HTTP port. Processors (provision, deprovision, reconcile) are
 * registered here as they are built.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL, redact: { paths: REDACT_PATHS, censor: '[Redacted]' } } }),
      ],
    };
  }
}
