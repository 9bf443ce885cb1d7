import { Module } from '@nestjs/common';
import { ProvidersModule } from '@pantheon/providers';
import { ProviderKeysModule } from '../provider-keys/provider-keys.module';
import { CustomModelController } from './custom-model.controller';
import { CustomModelService } from './custom-model.service';
import { ModelListService } from './model-list.service';
import { ModelsController } from './models.controller';

@Module({
  imports: [ProviderKeysModule, ProvidersModule.forRoot()],
  controllers: [ModelsController, CustomModelController],
  providers: [ModelListService, CustomModelService],
  exports: [ModelListService],
})
export class ModelsModule {}
