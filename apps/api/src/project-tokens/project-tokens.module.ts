import { Module } from '@nestjs/common';
import { ProjectTokenController } from './project-token.controller';
import { ProjectTokenGuard } from './project-token.guard';
import { ProjectTokenService } from './project-token.service';
import { VmTokenController } from './vm-token.controller';
import { VmTokenService } from './vm-token.service';

@Module({
  controllers: [ProjectTokenController, VmTokenController],
  providers: [ProjectTokenService, ProjectTokenGuard, VmTokenService],
  exports: [ProjectTokenGuard],
})
export class ProjectTokensModule {}
