import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '@pantheon/auth';
import { UsageQueryDto, UsageResponseDto } from './usage.dto';
import { UsageService } from './usage.service';

@ApiTags('usage')
@ApiBearerAuth()
@Controller('user/usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @ApiOkResponse({ type: UsageResponseDto })
  summary(@CurrentUser() user: AuthUser, @Query() q: UsageQueryDto): Promise<UsageResponseDto> {
    return this.usage.summary(user, q);
  }
}
