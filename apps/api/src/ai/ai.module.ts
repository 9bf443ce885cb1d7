import { Module } from '@nestjs/common';
import { ProvidersModule } from '@pantheon/providers';
import { KeysModule } from '../keys/keys.module';
import { AiAccessService } from './ai-access.service';
import { AiController } from './ai.controller';
import { ChatService } from './chat.service';
import { LlmCallService } from './llm-call.service';
import { ModelsService } from './models.service';
import { ProviderKeyTestService } from './provider-key-test.service';
import { UsageService } from './usage.service';

@Module({
  imports: [KeysModule, ProvidersModule.forRoot()],
  controllers: [AiController],
  providers: [AiAccessService, LlmCallService, ModelsService, ChatService, ProviderKeyTestService, UsageService],
  exports: [AiAccessService, LlmCallService, ModelsService],
})
export class AiModule {}
