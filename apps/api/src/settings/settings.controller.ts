import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequestMeta } from '@pantheon/auth';
import { ReqMeta } from '../common/request-meta';
import { UpdateUserSettingsDto, UserSettingsResponseDto } from './user-settings.dto';
import { UserSettingsService } from './user-settings.service';

@ApiTags('user')
@ApiBearerAuth()
@Controller('user/settings')
export class SettingsController {
  constructor(private readonly settings: UserSettingsService) {}

  @Get()
  @ApiOkResponse({ type: UserSettingsResponseDto })
  get(@CurrentUser() user: AuthUser): Promise<UserSettingsResponseDto> {
    return this.settings.get(user);
  }

  @Put()
  @ApiOkResponse({ type: UserSettingsResponseDto })
  replace(@CurrentUser() user: AuthUser, @Body() dto: UpdateUserSettingsDto, @ReqMeta() meta: RequestMeta): Promise<UserSettingsResponseDto> {
    return this.settings.replace(user, dto, meta);
  }
}
