import { Module } from '@nestjs/common';
import { ProjectController } from './project.controller';
import { ProjectQueue } from './project-queue.provider';
import { ProjectService } from './project.service';

@Module({
  controllers: [ProjectController],
  providers: [ProjectService, ProjectQueue],
  exports: [ProjectService],
})
export class ProjectModule {}
