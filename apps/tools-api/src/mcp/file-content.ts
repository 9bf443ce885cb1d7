const decoder = new TextDecoder('utf-8', { fatal: true });

export interface DecodedText {
  text: string;
  /** Bytes of the input the text covers (less than its length when an incomplete character was cut off). */
  bytes: number;
}

/**
 * The bytes as UTF-8 text, or null when they are not UTF-8. When the read was cut at `max_bytes`
 * (`truncated`), up to three trailing bytes of a character split by the cut are left out, so the model
 * continues at `offset + bytes`.
 */
export function decodeUtf8(data: Buffer, truncated: boolean): DecodedText | null {
  const cuts = truncated ? [0, 1, 2, 3] : [0];
  for (const cut of cuts) {
    if (cut > data.length) break;
    try {
      const bytes = data.length - cut;
      return { text: decoder.decode(data.subarray(0, bytes)), bytes };
    } catch {
      // Not UTF-8 at this length; try without the last byte of a split character.
    }
  }
  return null;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (Buffer.from would silently skip invalid characters and write garbage). */
export function isBase64(value: string): boolean {
  return BASE64.test(value);
}
