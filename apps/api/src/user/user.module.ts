import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { ApiKeyController } from './api-key.controller';
import { ApiKeyService } from './api-key.service';
import { AuditService } from './audit.service';
import { CustomModelController } from './custom-model.controller';
import { CustomModelService } from './custom-model.service';
import { UserController } from './user.controller';
import { UserSettingsService } from './user-settings.service';

@Module({
  imports: [KeysModule],
  controllers: [UserController, ApiKeyController, CustomModelController],
  providers: [UserSettingsService, ApiKeyService, CustomModelService, AuditService],
  exports: [ApiKeyService],
})
export class UserModule {}
