import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '@pantheon/auth';
import { AuditListResponseDto, AuditQueryDto, AuditVerifyResponseDto } from './audit.dto';
import { AuditService } from './audit.service';

@ApiTags('user')
@ApiBearerAuth()
@Controller('user/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOkResponse({ type: AuditListResponseDto })
  list(@CurrentUser() user: AuthUser, @Query() q: AuditQueryDto): Promise<AuditListResponseDto> {
    return this.audit.list(user, q);
  }

  @Get('verify')
  @ApiOkResponse({ type: AuditVerifyResponseDto })
  verify(@CurrentUser() user: AuthUser): Promise<AuditVerifyResponseDto> {
    return this.audit.verify(user);
  }
}
