import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@pantheon/auth';
import { DbService } from '@pantheon/db';
import { pingRedis, REDIS } from '@pantheon/events';
import { SkipThrottle } from '@nestjs/throttler';
import type Redis from 'ioredis';

type Check = 'ok' | 'down';

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller()
export class HealthController {
  constructor(
    private readonly db: DbService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** Liveness: the process serves HTTP. Dependencies are not checked (a DB blip must not restart pods). */
  @Get('health')
  @HttpCode(200)
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: PostgreSQL and Redis answer. 503 names what is down. */
  @Get('ready')
  @ApiOkResponse({ schema: { example: { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } } } })
  @ApiServiceUnavailableResponse()
  async ready(): Promise<{ status: 'ok'; checks: Record<string, Check> }> {
    const [postgres, redis] = await Promise.all([
      this.db.ping().then((): Check => 'ok', (): Check => 'down'),
      pingRedis(this.redis).then((): Check => 'ok', (): Check => 'down'),
    ]);
    const checks = { postgres, redis };
    if (postgres !== 'ok' || redis !== 'ok') {
      throw new ServiceUnavailableException(`Not ready: ${Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k).join(', ')} unreachable`);
    }
    return { status: 'ok', checks };
  }
}
