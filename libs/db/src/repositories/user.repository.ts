import { Injectable } from '@nestjs/common';
import { Tx } from '../prisma.client';

export interface UserProfile {
  email: string | null;
  name: string | null;
  pictureUrl: string | null;
}

export interface UserRecord extends UserProfile {
  id: string;
  keycloakSub: string;
  lastSessionId: string | null;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** users table. Lookups by subject need a withAuthSubject scope; everything else a withUser scope. */
@Injectable()
export class UserRepository {
  findBySub(tx: Tx, sub: string): Promise<UserRecord | null> {
    return tx.user.findUnique({ where: { keycloakSub: sub } });
  }

  findById(tx: Tx, id: string): Promise<UserRecord | null> {
    return tx.user.findUnique({ where: { id } });
  }

  /** Insert-or-update by subject; concurrent first requests of one subject converge on one row. */
  upsert(tx: Tx, sub: string, profile: UserProfile): Promise<UserRecord> {
    return tx.user.upsert({
      where: { keycloakSub: sub },
      create: { keycloakSub: sub, ...profile },
      update: { ...profile, updatedAt: new Date() },
    });
  }

  recordLogin(tx: Tx, id: string, sessionId: string | null): Promise<UserRecord> {
    return tx.user.update({ where: { id }, data: { lastSessionId: sessionId, lastLoginAt: new Date() } });
  }
}
