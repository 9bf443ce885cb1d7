import { Module } from '@nestjs/common';
import { AiModule } from '../ai/ai.module';
import { GatewayController } from './gateway.controller';
import { GatewayService } from './gateway.service';
import { ProjectTokenGuard } from './project-token.guard';

@Module({
  imports: [AiModule],
  controllers: [GatewayController],
  providers: [GatewayService, ProjectTokenGuard],
})
export class GatewayModule {}
