import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequestMeta } from '@pantheon/auth';
import { IdParamDto } from '../common/id-param.dto';
import { PageQueryDto } from '../common/pagination.dto';
import { ReqMeta } from '../common/request-meta';
import { ApiKeyListResponseDto, ApiKeyResponseDto, CreateApiKeyDto } from './api-key.dto';
import { ApiKeyService } from './api-key.service';

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('user/api-keys')
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Get()
  @ApiOkResponse({ type: ApiKeyListResponseDto })
  list(@CurrentUser() user: AuthUser, @Query() page: PageQueryDto): Promise<ApiKeyListResponseDto> {
    return this.keys.list(user, page);
  }

  @Post()
  @ApiCreatedResponse({ type: ApiKeyResponseDto, description: 'The stored key, masked' })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateApiKeyDto, @ReqMeta() meta: RequestMeta): Promise<ApiKeyResponseDto> {
    return this.keys.create(user, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  remove(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto, @ReqMeta() meta: RequestMeta): Promise<void> {
    return this.keys.remove(user, id, meta);
  }
}
