import { Module } from '@nestjs/common';
import { ModelsModule } from '../models/models.module';
import { ProjectTokensModule } from '../project-tokens/project-tokens.module';
import { UsageModule } from '../usage/usage.module';
import { LlmProxyController } from './llm-proxy.controller';
import { LlmProxyService } from './llm-proxy.service';

@Module({
  imports: [UsageModule, ModelsModule, ProjectTokensModule],
  controllers: [LlmProxyController],
  providers: [LlmProxyService],
})
export class LlmProxyModule {}
