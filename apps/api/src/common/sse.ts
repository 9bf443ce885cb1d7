import type { SseFrame } from '@pantheon/providers';
import type { Response } from 'express';

export type { SseFrame };

/** A service's answer to a request that may stream: a JSON body, or frames plus how to report a late failure. */
export type JsonOrStream<T> =
  | { json: T }
  | {
      stream: AsyncIterable<SseFrame> | Iterable<SseFrame>;
      /** The in-band frame for a failure after the stream has started (headers are gone by then). */
      errorFrame(err: unknown): SseFrame;
    };

/** An AbortSignal that fires when the client goes away before the response is finished. */
export function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function sseFrame(frame: SseFrame): string {
  const data = 'raw' in frame ? frame.raw : JSON.stringify(frame.data);
  return `${frame.event ? `event: ${frame.event}\n` : ''}data: ${data}\n\n`;
}

/** Headers for a server-sent-event response, flushed so the client sees the stream start at once. */
function openEventStream(res: Response): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
}

/**
 * Writes a service's answer. A stream is framed as SSE; a failure after it started becomes the service's
 * error frame (unless the client is gone), and the response always ends.
 */
export async function sendJsonOrStream<T>(res: Response, answer: JsonOrStream<T>, signal: AbortSignal): Promise<void> {
  if ('json' in answer) {
    res.status(200).json(answer.json);
    return;
  }
  openEventStream(res);
  try {
    for await (const frame of answer.stream) res.write(sseFrame(frame));
  } catch (err) {
    const frame = answer.errorFrame(err);
    if (!signal.aborted) res.write(sseFrame(frame));
  } finally {
    res.end();
  }
}
