import { DynamicModule, Global, Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { DB_OPTIONS, DbModuleOptions, DbService } from './db.service';
import { migrate } from './migrate';
import { AuditLogRepository } from './repositories/audit-log.repository';
import { CustomModelRepository } from './repositories/custom-model.repository';
import { MasterKeyVerifierRepository } from './repositories/master-key-verifier.repository';
import { ProviderKeyRepository } from './repositories/provider-key.repository';
import { UserSettingsRepository } from './repositories/user-settings.repository';
import { UserRepository } from './repositories/user.repository';
import { ProjectRepository } from './repositories/project.repository';
import { ProjectTokenRepository } from './repositories/project-token.repository';
import { UsageRepository } from './repositories/usage.repository';
import { ChatRepository } from './repositories/chat.repository';
import { BudgetRepository } from './repositories/budget.repository';
import { ProjectGatewayRepository } from './repositories/project-gateway.repository';

const repositories = [
  UserRepository,
  ProviderKeyRepository,
  UserSettingsRepository,
  CustomModelRepository,
  AuditLogRepository,
  ProjectRepository,
  ProjectTokenRepository,
  UsageRepository,
  ChatRepository,
  ProjectGatewayRepository,
  BudgetRepository,
];

@Global()
@Module({})
export class DbModule implements OnModuleInit {
  private readonly logger = new Logger('DbModule');

  constructor(@Inject(DB_OPTIONS) private readonly options: DbModuleOptions) {}

  static forRootAsync(opts: { useFactory: (...args: any[]) => DbModuleOptions; inject?: any[] }): DynamicModule {
    return {
      module: DbModule,
      providers: [
        { provide: DB_OPTIONS, useFactory: opts.useFactory, inject: opts.inject ?? [] },
        DbService,
        MasterKeyVerifierRepository,
        ...repositories,
      ],
      exports: [DbService, ...repositories],
    };
  }

  /** Runs before any dependent module's init hook, so the schema is current before the first query. */
  async onModuleInit(): Promise<void> {
    if (!this.options.migrationConnectionString) return;
    const result = await migrate({
      connectionString: this.options.migrationConnectionString,
      log: (m) => this.logger.log(m),
    });
    this.logger.log(`migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
  }
}
