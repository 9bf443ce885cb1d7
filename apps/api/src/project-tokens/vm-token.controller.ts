import { Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@pantheon/auth';
import { IdParamDto } from '../common/id-param.dto';
import { ProjectPrincipal, ProjectTokenGuard } from './project-token.guard';
import { IssuedVmToken, VmTokenService } from './vm-token.service';

/**
 * `POST /api/projects/:id/vm-token`: called by the project's tools API with its `tools` project token (not a
 * user's bearer), so it is internal and left out of the public OpenAPI document.
 */
@ApiExcludeController()
@Public()
@UseGuards(ProjectTokenGuard)
@Controller('projects/:id/vm-token')
export class VmTokenController {
  constructor(private readonly vmTokens: VmTokenService) {}

  @Post()
  @HttpCode(201)
  issue(@Req() req: { projectPrincipal: ProjectPrincipal }, @Param() { id }: IdParamDto): Promise<IssuedVmToken> {
    return this.vmTokens.issue(req.projectPrincipal, id);
  }
}
