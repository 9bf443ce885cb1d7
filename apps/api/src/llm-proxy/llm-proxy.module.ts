import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ModelsModule } from '../models/models.module';
import { ProjectTokenGuard } from '../project-tokens/project-token.guard';
import { ProjectTokensModule } from '../project-tokens/project-tokens.module';
import { UsageModule } from '../usage/usage.module';
import { LlmProxyController } from './llm-proxy.controller';
import { LlmProxyService } from './llm-proxy.service';

@Module({
  imports: [UsageModule, ModelsModule, ProjectTokensModule],
  controllers: [LlmProxyController],
  providers: [LlmProxyService],
})
export class LlmProxyModule implements NestModule {
  constructor(private readonly tokens: ProjectTokenGuard) {}

  /** Before the global guards: the token's generation read overlaps the rate limiter's Redis round trip. */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((req: Request, _res: Response, next: NextFunction) => {
        this.tokens.prefetch(req);
        next();
      })
      .forRoutes(LlmProxyController);
  }
}
