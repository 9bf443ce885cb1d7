import { Module } from '@nestjs/common';
import { SettingsController } from './settings.controller';
import { UserSettingsService } from './user-settings.service';

@Module({ controllers: [SettingsController], providers: [UserSettingsService] })
export class SettingsModule {}
