import { Injectable } from '@nestjs/common';
import { Prisma, Tx } from '../prisma.client';
import { pageWithTotal } from './page';

export interface ChatMessageRecord {
  id: string;
  projectId: string | null;
  role: string;
  content: string;
  model: string | null;
  toolCalls: Prisma.JsonValue | null;
  createdAt: Date;
}

/** chat_messages in a withUser scope. */
@Injectable()
export class ChatRepository {
  async append(
    tx: Tx,
    userId: string,
    messages: { projectId: string | null; role: string; content: string; model?: string | null; toolCalls?: Prisma.InputJsonValue }[],
  ): Promise<void> {
    // One at a time: created_at (clock_timestamp) then orders them as they were said.
    for (const m of messages) {
      await tx.chatMessage.create({
        data: { userId, projectId: m.projectId, role: m.role, content: m.content, model: m.model ?? null, toolCalls: m.toolCalls ?? Prisma.DbNull },
      });
    }
  }

  async list(tx: Tx, opts: { projectId?: string; limit: number; offset: number }): Promise<{ items: ChatMessageRecord[]; total: number }> {
    const where = opts.projectId ? { projectId: opts.projectId } : {};
    return pageWithTotal(
      opts,
      () =>
        tx.chatMessage.findMany({
          where,
          orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
          take: opts.limit,
          skip: opts.offset,
          select: { id: true, projectId: true, role: true, content: true, model: true, toolCalls: true, createdAt: true },
        }),
      () => tx.chatMessage.count({ where }),
    );
  }

  /** Most recent messages of a conversation, oldest first (context for the next turn). */
  async recent(tx: Tx, projectId: string | null, limit: number): Promise<ChatMessageRecord[]> {
    const rows = await tx.chatMessage.findMany({
      where: { projectId },
      orderBy: { createdAt: 'desc' },
      take: limit,
      select: { id: true, projectId: true, role: true, content: true, model: true, toolCalls: true, createdAt: true },
    });
    return rows.reverse();
  }

  async clear(tx: Tx, projectId?: string): Promise<number> {
    const { count } = await tx.chatMessage.deleteMany({ where: projectId ? { projectId } : {} });
    return count;
  }
}
