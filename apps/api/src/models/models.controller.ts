import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '@pantheon/auth';
import { ModelListResult, ModelListService } from './model-list.service';

@ApiTags('models')
@ApiBearerAuth()
@Controller('models')
export class ModelsController {
  constructor(private readonly models: ModelListService) {}

  @Get()
  @ApiOkResponse({ description: 'Provider model lists (cached) merged with your custom models' })
  list(@CurrentUser() user: AuthUser): Promise<ModelListResult> {
    return this.models.list(user.id);
  }
}
