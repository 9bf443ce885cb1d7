import { projectRoom, SubscribeRequest, userRoom } from '@pantheon/events';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHAPE = 'expected {"channel":"project-updates"} or {"projectId":"<uuid>"}, with an optional "lastSeq"';

export type ParsedSubscribe = { ok: true; request: SubscribeRequest } | { ok: false; error: string };

/**
 * Validates a `subscribe`/`unsubscribe` payload strictly: exactly `{channel:'project-updates'}` or
 * `{projectId:<uuid>}`, plus an optional non-negative integer `lastSeq`; any other field is refused. The
 * project id is lower-cased, as rooms and events name it.
 */
export function parseSubscribeRequest(body: unknown): ParsedSubscribe {
  if (typeof body !== 'object' || body === null || Object.getPrototypeOf(body) !== Object.prototype) {
    return { ok: false, error: SHAPE };
  }
  const fields = body as Record<string, unknown>;
  const { lastSeq } = fields;
  if (lastSeq !== undefined && (!Number.isSafeInteger(lastSeq) || (lastSeq as number) < 0)) {
    return { ok: false, error: 'lastSeq must be a non-negative integer' };
  }
  const seq = lastSeq === undefined ? {} : { lastSeq: lastSeq as number };
  const keys = Object.keys(fields).filter((k) => k !== 'lastSeq');
  if (keys.length !== 1) return { ok: false, error: SHAPE };
  if (keys[0] === 'channel') {
    return fields.channel === 'project-updates'
      ? { ok: true, request: { channel: 'project-updates', ...seq } }
      : { ok: false, error: 'unknown channel; the only channel is "project-updates"' };
  }
  if (keys[0] === 'projectId') {
    return typeof fields.projectId === 'string' && UUID_RE.test(fields.projectId)
      ? { ok: true, request: { projectId: fields.projectId.toLowerCase(), ...seq } }
      : { ok: false, error: 'projectId must be a UUID' };
  }
  return { ok: false, error: SHAPE };
}

/** The room a request names; the caller has checked that the user may join it. */
export function roomOf(userId: string, request: SubscribeRequest): string {
  return 'channel' in request ? userRoom(userId) : projectRoom(request.projectId);
}
