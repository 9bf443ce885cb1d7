import { Injectable } from '@nestjs/common';
import { Prisma, Tx } from '../prisma.client';

export interface UserSettingsRecord {
  userId: string;
  preferredModel: string | null;
  modelParameters: Prisma.JsonValue;
  monthlyBudgetUsd: Prisma.Decimal | null;
  createdAt: Date;
  updatedAt: Date;
}

@Injectable()
export class UserSettingsRepository {
  find(tx: Tx, userId: string): Promise<UserSettingsRecord | null> {
    return tx.userSettings.findUnique({ where: { userId } });
  }

  upsert(
    tx: Tx,
    userId: string,
    data: { preferredModel: string | null; modelParameters: Prisma.InputJsonObject; monthlyBudgetUsd: number | null },
  ): Promise<UserSettingsRecord> {
    return tx.userSettings.upsert({
      where: { userId },
      create: { userId, ...data },
      update: { ...data, updatedAt: new Date() },
    });
  }
}
