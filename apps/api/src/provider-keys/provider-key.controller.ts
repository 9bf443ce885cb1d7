import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequestMeta } from '@pantheon/auth';
import { IdParamDto } from '../common/id-param.dto';
import { PageQueryDto } from '../common/pagination.dto';
import { ReqMeta } from '../common/request-meta';
import { CreateProviderKeyDto, KeyTestResult, ProviderKeyListResponseDto, ProviderKeyResponseDto, ProviderStatus } from './provider-key.dto';
import { ProviderKeyService } from './provider-key.service';

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('user/api-keys')
export class ProviderKeyController {
  constructor(private readonly keys: ProviderKeyService) {}

  @Get()
  @ApiOkResponse({ type: ProviderKeyListResponseDto })
  list(@CurrentUser() user: AuthUser, @Query() page: PageQueryDto): Promise<ProviderKeyListResponseDto> {
    return this.keys.list(user, page);
  }

  @Post()
  @ApiCreatedResponse({ type: ProviderKeyResponseDto, description: 'The stored key, masked' })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateProviderKeyDto, @ReqMeta() meta: RequestMeta): Promise<ProviderKeyResponseDto> {
    return this.keys.create(user, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  remove(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto, @ReqMeta() meta: RequestMeta): Promise<void> {
    return this.keys.remove(user, id, meta);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ok, provider, checked_at, error?}' })
  test(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto, @ReqMeta() meta: RequestMeta): Promise<KeyTestResult> {
    return this.keys.test(user, id, meta);
  }
}

/** Which providers exist and where the caller stands with each (has a key, last test). */
@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('providers')
export class ProviderStatusController {
  constructor(private readonly keys: ProviderKeyService) {}

  @Get()
  @ApiOkResponse({ description: 'Every provider with has_key / last test for the caller' })
  list(@CurrentUser() user: AuthUser): Promise<ProviderStatus[]> {
    return this.keys.providers(user);
  }
}
