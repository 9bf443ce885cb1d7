import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequestMeta } from '@pantheon/auth';
import { IdParamDto } from '../common/id-param.dto';
import { PageQueryDto } from '../common/pagination.dto';
import { ReqMeta } from '../common/request-meta';
import { CreateCustomModelDto, CustomModelListResponseDto, CustomModelResponseDto } from './custom-model.dto';
import { CustomModelService } from './custom-model.service';

@ApiTags('models')
@ApiBearerAuth()
@Controller('user/models')
export class CustomModelController {
  constructor(private readonly models: CustomModelService) {}

  @Get()
  @ApiOkResponse({ type: CustomModelListResponseDto })
  list(@CurrentUser() user: AuthUser, @Query() page: PageQueryDto): Promise<CustomModelListResponseDto> {
    return this.models.list(user, page);
  }

  @Post()
  @ApiCreatedResponse({ type: CustomModelResponseDto })
  create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateCustomModelDto,
    @ReqMeta() meta: RequestMeta,
  ): Promise<CustomModelResponseDto> {
    return this.models.create(user, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  remove(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto, @ReqMeta() meta: RequestMeta): Promise<void> {
    return this.models.remove(user, id, meta);
  }
}
