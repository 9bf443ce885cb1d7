/**
 * One server-sent event as the wire formats define it. `data` is sent as JSON, `raw` as it is (OpenAI's
 * `[DONE]`). The app's transport turns frames into bytes; the codecs only decide what the frames are.
 */
export type SseFrame = { event?: string; data: unknown } | { event?: string; raw: string };
