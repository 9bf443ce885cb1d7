import type { ChatStreamEvent } from './chat.model';
import { compact } from './codec.util';

type FinishEvent = Extract<ChatStreamEvent, { type: 'finish' }>;

/**
 * A family's upstream stream → neutral events: `push` each upstream chunk, then `end` once. Every decoder
 * closes the same way, so consumers can rely on start … finish: a `start` when none was sent yet (an empty
 * stream), then the one `finish`, which a subclass may also send early (an in-stream stop or error event).
 */
export abstract class StreamDecoder<Chunk> {
  /** Set by the subclass when it sends `start`. */
  protected started = false;
  protected finished = false;

  abstract push(chunk: Chunk): ChatStreamEvent[];

  /** What the `finish` event reports, from everything pushed so far. */
  protected abstract finish(): Omit<FinishEvent, 'type'>;

  end(): ChatStreamEvent[] {
    if (this.finished) return [];
    this.finished = true;
    const finish = this.finish();
    const events: ChatStreamEvent[] = this.started ? [] : [{ type: 'start', model: finish.model }];
    this.started = true;
    events.push(compact({ type: 'finish' as const, ...finish }));
    return events;
  }
}
