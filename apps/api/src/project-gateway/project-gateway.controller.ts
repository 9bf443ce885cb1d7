import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequestMeta } from '@pantheon/auth';
import { IdParamDto } from '../common/id-param.dto';
import { ReqMeta } from '../common/request-meta';
import { ProjectGatewayDto, ProjectGatewayResponseDto } from './project-gateway.dto';
import { ProjectGatewayService } from './project-gateway.service';

/** `/api/projects/:id/gateway`: the model routing of the project's LLM gateway. */
@ApiTags('projects')
@ApiBearerAuth()
@Controller('projects')
export class ProjectGatewayController {
  constructor(private readonly gateway: ProjectGatewayService) {}

  @Get(':id/gateway')
  @ApiOkResponse({ type: ProjectGatewayResponseDto })
  get(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto): Promise<ProjectGatewayResponseDto> {
    return this.gateway.get(user, id);
  }

  @Put(':id/gateway')
  @ApiOkResponse({ type: ProjectGatewayResponseDto })
  set(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto, @Body() dto: ProjectGatewayDto, @ReqMeta() meta: RequestMeta): Promise<ProjectGatewayResponseDto> {
    return this.gateway.set(user, id, dto, meta);
  }
}
