import { Injectable } from '@nestjs/common';
import { Prisma, Tx } from '../prisma.client';

/** A project's LLM-gateway routing, as stored. Model fields are `provider/model` refs. */
export interface ProjectGatewayRecord {
  projectId: string;
  defaultModel: string | null;
  reasoningModel: string | null;
  smallModel: string | null;
  /** requested name → `provider/model` */
  aliases: Record<string, string>;
  updatedAt: Date;
}

export type ProjectGatewayInput = Omit<ProjectGatewayRecord, 'projectId' | 'updatedAt'>;

function toRecord(row: {
  projectId: string;
  defaultModel: string | null;
  reasoningModel: string | null;
  smallModel: string | null;
  aliases: Prisma.JsonValue;
  updatedAt: Date;
}): ProjectGatewayRecord {
  const aliases: Record<string, string> = {};
  if (row.aliases && typeof row.aliases === 'object' && !Array.isArray(row.aliases)) {
    for (const [name, ref] of Object.entries(row.aliases)) if (typeof ref === 'string') aliases[name] = ref;
  }
  return { projectId: row.projectId, defaultModel: row.defaultModel, reasoningModel: row.reasoningModel, smallModel: row.smallModel, aliases, updatedAt: row.updatedAt };
}

/** project_gateway_settings in a withUser scope (RLS: the owner's projects only). */
@Injectable()
export class ProjectGatewayRepository {
  async find(tx: Tx, projectId: string): Promise<ProjectGatewayRecord | null> {
    const row = await tx.projectGatewaySettings.findUnique({ where: { projectId } });
    return row ? toRecord(row) : null;
  }

  async upsert(tx: Tx, userId: string, projectId: string, data: ProjectGatewayInput): Promise<ProjectGatewayRecord> {
    const row = await tx.projectGatewaySettings.upsert({
      where: { projectId },
      create: { projectId, userId, ...data },
      update: { ...data, updatedAt: new Date() },
    });
    return toRecord(row);
  }
}
