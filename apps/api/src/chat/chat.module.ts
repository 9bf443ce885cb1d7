import { Module } from '@nestjs/common';
import { UsageModule } from '../usage/usage.module';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';

@Module({
  imports: [UsageModule],
  controllers: [ChatController],
  providers: [ChatService],
})
export class ChatModule {}
