import { Module } from '@nestjs/common';
import { ProjectTokenController } from './project-token.controller';
import { ProjectTokenGuard } from './project-token.guard';
import { ProjectTokenService } from './project-token.service';

@Module({
  controllers: [ProjectTokenController],
  providers: [ProjectTokenService, ProjectTokenGuard],
  exports: [ProjectTokenGuard],
})
export class ProjectTokensModule {}
