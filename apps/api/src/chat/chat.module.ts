import { Module } from '@nestjs/common';
import { ProviderKeysModule } from '../provider-keys/provider-keys.module';
import { UsageModule } from '../usage/usage.module';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';

@Module({
  imports: [UsageModule, ProviderKeysModule],
  controllers: [ChatController],
  providers: [ChatService],
})
export class ChatModule {}
