import { Module } from '@nestjs/common';
import { ProjectTokensModule } from '../project-tokens/project-tokens.module';
import { ProviderKeysModule } from '../provider-keys/provider-keys.module';
import { ProjectMcpController } from './project-mcp.controller';
import { ProjectMcpGuard } from './project-mcp.guard';
import { ProjectMcpRelay } from './project-mcp.relay';

@Module({
  imports: [ProjectTokensModule, ProviderKeysModule],
  controllers: [ProjectMcpController],
  providers: [ProjectMcpRelay, ProjectMcpGuard],
})
export class ProjectMcpModule {}
