import { Module } from '@nestjs/common';
import { ProjectGatewayController } from './project-gateway.controller';
import { ProjectGatewayService } from './project-gateway.service';

@Module({
  controllers: [ProjectGatewayController],
  providers: [ProjectGatewayService],
})
export class ProjectGatewayModule {}
