import { Body, Controller, Get, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequestMeta } from '@pantheon/auth';
import { ReqMeta } from '../common/request-meta';
import { AuditListResponseDto, AuditQueryDto, AuditVerifyResponseDto } from './audit.dto';
import { AuditService } from './audit.service';
import { mapMe, MeResponseDto } from './user.dto';
import { UpdateUserSettingsDto, UserSettingsResponseDto } from './user-settings.dto';
import { UserSettingsService } from './user-settings.service';

@ApiTags('user')
@ApiBearerAuth()
@Controller('user')
export class UserController {
  constructor(
    private readonly settings: UserSettingsService,
    private readonly audit: AuditService,
  ) {}

  @Get('me')
  @ApiOkResponse({ type: MeResponseDto })
  me(@CurrentUser() user: AuthUser): MeResponseDto {
    return mapMe(user);
  }

  @Get('settings')
  @ApiOkResponse({ type: UserSettingsResponseDto })
  getSettings(@CurrentUser() user: AuthUser): Promise<UserSettingsResponseDto> {
    return this.settings.get(user);
  }

  @Put('settings')
  @ApiOkResponse({ type: UserSettingsResponseDto })
  putSettings(
    @CurrentUser() user: AuthUser,
    @Body() dto: UpdateUserSettingsDto,
    @ReqMeta() meta: RequestMeta,
  ): Promise<UserSettingsResponseDto> {
    return this.settings.replace(user, dto, meta);
  }

  @Get('audit')
  @ApiOkResponse({ type: AuditListResponseDto })
  auditTrail(@CurrentUser() user: AuthUser, @Query() q: AuditQueryDto): Promise<AuditListResponseDto> {
    return this.audit.list(user, q);
  }

  @Get('audit/verify')
  @ApiOkResponse({ type: AuditVerifyResponseDto })
  verifyAudit(@CurrentUser() user: AuthUser): Promise<AuditVerifyResponseDto> {
    return this.audit.verify(user);
  }
}
