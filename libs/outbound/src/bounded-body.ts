import { Response } from 'undici';
import { OutboundError, OutboundErrorCode } from './outbound.errors';

/** How much of a response is read before it is cut off. */
export interface BodyLimits {
  /** Bytes of a body that is read whole (and of a non-event-stream body in stream mode). */
  maxBodyBytes: number;
  /** Bytes between two line breaks of an event stream read incrementally. */
  maxSseLineBytes: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Errors the stream once more than `max` bytes went through; the source is cancelled, so the socket closes. */
export function byteLimit(max: number, fail: () => OutboundError): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > max) controller.error(fail());
      else controller.enqueue(chunk);
    },
  });
}

/** Errors the stream once a line (CR, LF or CRLF ends one, as in SSE) grows past `max` bytes. */
export function lineLimit(max: number, fail: () => OutboundError): TransformStream<Uint8Array, Uint8Array> {
  let sinceBreak = 0;
  return new TransformStream({
    transform(chunk, controller) {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i];
        if (byte === LF || byte === CR) sinceBreak = 0;
        else if (++sinceBreak > max) return controller.error(fail());
      }
      controller.enqueue(chunk);
    },
  });
}

function isEventStream(response: Response): boolean {
  return /^text\/event-stream\b/i.test(response.headers.get('content-type') ?? '');
}

/**
 * The response with its body bounded. `stream`: the caller reads an event stream incrementally, so it is
 * bounded per line; anything read whole (every body otherwise, and a non-event-stream body in stream mode)
 * is bounded in total. A declared length over the limit fails before anything is read.
 */
export function boundedResponse(response: Response, limits: BodyLimits, stream: boolean, subject: string): Response {
  if (!response.body) return response;
  if (stream && isEventStream(response)) {
    const tooLong = () =>
      new OutboundError(OutboundErrorCode.SSE_LINE_TOO_LONG, `${subject} sent an event-stream line longer than ${limits.maxSseLineBytes} bytes`);
    return rewrap(response, response.body.pipeThrough(lineLimit(limits.maxSseLineBytes, tooLong)));
  }
  const tooLarge = () =>
    new OutboundError(OutboundErrorCode.RESPONSE_TOO_LARGE, `${subject} sent a response body larger than ${limits.maxBodyBytes} bytes`);
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    void response.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  return rewrap(response, response.body.pipeThrough(byteLimit(limits.maxBodyBytes, tooLarge)));
}

function rewrap(response: Response, body: ReadableStream<Uint8Array>): Response {
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
