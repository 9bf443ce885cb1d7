import { Injectable } from '@nestjs/common';
import { Prisma, Tx } from '../prisma.client';
import { Page } from './provider-key.repository';
import { pageWithTotal } from './page';

export interface CustomModelRecord {
  id: string;
  userId: string;
  provider: string;
  modelId: string;
  displayName: string;
  contextLength: number | null;
  parameters: Prisma.JsonValue;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewCustomModel {
  userId: string;
  provider: string;
  modelId: string;
  displayName: string;
  contextLength: number | null;
  parameters: Prisma.InputJsonObject;
}

@Injectable()
export class CustomModelRepository {
  async list(tx: Tx, page: Page): Promise<{ items: CustomModelRecord[]; total: number }> {
    return pageWithTotal(
      page,
      () => tx.customModel.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: page.limit, skip: page.offset }),
      () => tx.customModel.count(),
    );
  }

  count(tx: Tx): Promise<number> {
    return tx.customModel.count();
  }

  create(tx: Tx, model: NewCustomModel): Promise<CustomModelRecord> {
    return tx.customModel.create({ data: model });
  }

  async delete(tx: Tx, id: string): Promise<boolean> {
    const { count } = await tx.customModel.deleteMany({ where: { id } });
    return count > 0;
  }
}
