import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequestMeta } from '@pantheon/auth';
import { IdParamDto } from '../common/id-param.dto';
import { ReqMeta } from '../common/request-meta';
import { CreateProjectTokenDto, IssuedProjectTokenResponseDto, ProjectTokenParamsDto, ProjectTokenResponseDto } from './project-token.dto';
import { ProjectTokenService } from './project-token.service';

@ApiTags('projects')
@ApiBearerAuth()
@Controller('projects/:id/tokens')
export class ProjectTokenController {
  constructor(private readonly tokens: ProjectTokenService) {}

  @Post()
  @ApiCreatedResponse({ type: IssuedProjectTokenResponseDto, description: 'The token is shown only once' })
  issue(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto, @Body() dto: CreateProjectTokenDto, @ReqMeta() meta: RequestMeta): Promise<IssuedProjectTokenResponseDto> {
    return this.tokens.issue(user, id, dto, meta);
  }

  @Get()
  @ApiOkResponse({ type: [ProjectTokenResponseDto] })
  list(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto): Promise<ProjectTokenResponseDto[]> {
    return this.tokens.list(user, id);
  }

  @Delete(':tokenId')
  @HttpCode(204)
  @ApiNoContentResponse()
  revoke(@CurrentUser() user: AuthUser, @Param() p: ProjectTokenParamsDto, @ReqMeta() meta: RequestMeta): Promise<void> {
    return this.tokens.revoke(user, p.id, p.tokenId, meta);
  }
}
