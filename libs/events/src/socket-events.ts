import type { ProjectEvent } from './project-events';

/** socket.io namespace of the realtime gateway. */
export const WS_NAMESPACE = '/ws';

/** Server → client events. */
export interface ServerToClientEvents {
  'project:update': (event: ProjectEvent) => void;
  /** A viewer ("Connect") was opened on one of the user's projects: a notice only, not replayed. */
  'viewer:opened': (event: ViewerOpenedEvent) => void;
}

/** Payload of `viewer:opened`: never the ticket or the session's id. */
export interface ViewerOpenedEvent {
  projectId: string;
  viewOnly: boolean;
  /** ISO-8601 time the viewer was opened. */
  at: string;
}

/** `subscribe` payload: all own projects, or one project; `lastSeq` replays what was missed. */
export type SubscribeRequest = ({ channel: 'project-updates' } | { projectId: string }) & { lastSeq?: number };

export type SubscribeAck = { ok: true; room: string; replayed: number } | { ok: false; error: string };

/** Client → server events (acknowledged). */
export interface ClientToServerEvents {
  subscribe: (req: SubscribeRequest, ack: (res: SubscribeAck) => void) => void;
  unsubscribe: (req: SubscribeRequest, ack: (res: { ok: boolean }) => void) => void;
}

/** Rooms are joined by the server only: `user:<id>` (project-updates) and `project:<id>`. */
export const userRoom = (userId: string): string => `user:${userId}`;
export const projectRoom = (projectId: string): string => `project:${projectId}`;
