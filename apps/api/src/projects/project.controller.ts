import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiHeader, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequestMeta } from '@pantheon/auth';
import type { Response } from 'express';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { IdParamDto } from '../common/id-param.dto';
import { ReqMeta } from '../common/request-meta';
import { CreateProjectDto, DeleteProjectQueryDto, ProjectBudgetDto, ProjectListQueryDto, ProjectListResponseDto, ProjectResponseDto } from './project.dto';
import { ProjectService } from './project.service';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

@ApiTags('projects')
@ApiBearerAuth()
@Controller('projects')
export class ProjectController {
  constructor(private readonly projects: ProjectService) {}

  @Post()
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Makes retries safe: the same key returns the same project' })
  @ApiAcceptedResponse({ type: ProjectResponseDto, description: 'Queued for provisioning; follow it over the /ws socket' })
  @ApiServiceUnavailableResponse({ description: 'code PLATFORM_AT_CAPACITY: the platform has no room for this project now; try later' })
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateProjectDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @ReqMeta() meta: RequestMeta,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProjectResponseDto> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new DomainError(DomainErrorCode.INVALID, 'Idempotency-Key must be 8-128 characters of letters, digits and _ . : -');
    }
    const result = await this.projects.create(user, dto, idempotencyKey ?? null, meta);
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return result.project;
  }

  @Get()
  @ApiOkResponse({ type: ProjectListResponseDto })
  list(@CurrentUser() user: AuthUser, @Query() q: ProjectListQueryDto): Promise<ProjectListResponseDto> {
    return this.projects.list(user, q);
  }

  @Get(':id')
  @ApiOkResponse({ type: ProjectResponseDto })
  get(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto): Promise<ProjectResponseDto> {
    return this.projects.get(user, id);
  }

  @Put(':id/budget')
  @ApiOkResponse({ type: ProjectResponseDto })
  setBudget(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto, @Body() dto: ProjectBudgetDto, @ReqMeta() meta: RequestMeta): Promise<ProjectResponseDto> {
    return this.projects.setBudget(user, id, dto.token_budget, meta);
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ProjectResponseDto, description: 'Deprovisioning queued' })
  @ApiConflictResponse({ description: 'Confirmation missing: repeat with ?confirm=<project name>' })
  remove(
    @CurrentUser() user: AuthUser,
    @Param() { id }: IdParamDto,
    @Query() q: DeleteProjectQueryDto,
    @ReqMeta() meta: RequestMeta,
  ): Promise<ProjectResponseDto> {
    return this.projects.remove(user, id, q.confirm, meta);
  }
}
