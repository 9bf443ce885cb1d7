import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '@pantheon/auth';
import { mapMe, MeResponseDto } from './user.dto';

@ApiTags('user')
@ApiBearerAuth()
@Controller('user')
export class UserController {
  @Get('me')
  @ApiOkResponse({ type: MeResponseDto })
  me(@CurrentUser() user: AuthUser): MeResponseDto {
    return mapMe(user);
  }
}
