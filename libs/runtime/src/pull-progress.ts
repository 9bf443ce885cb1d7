/** One line of the engine's pull stream (`POST /images/create`), as far as progress goes. */
export interface PullStreamEvent {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Turns the engine's per-layer pull events into one percentage. Layers announce themselves before their size
 * is known, so the percentage only counts bytes of layers whose size has been seen, and it never goes down
 * (a new layer showing up would otherwise make the bar jump back).
 */
export class PullProgress {
  private readonly layers = new Map<string, { current: number; total: number; done: boolean }>();
  private last = 0;

  /** Feeds one event; returns the new percentage (0–100) when it moved, else null. */
  update(event: PullStreamEvent): number | null {
    const id = event.id;
    if (!id || !event.status) return null;
    const layer = this.layers.get(id) ?? { current: 0, total: 0, done: false };
    if (/^(Pull complete|Already exists|Download complete)$/.test(event.status)) {
      layer.done = true;
    } else if (event.status === 'Downloading' && event.progressDetail?.total) {
      layer.current = event.progressDetail.current ?? 0;
      layer.total = event.progressDetail.total;
    }
    this.layers.set(id, layer);
    return this.emit();
  }

  private emit(): number | null {
    let current = 0;
    let total = 0;
    let layers = 0;
    let done = 0;
    for (const layer of this.layers.values()) {
      layers += 1;
      if (layer.done) done += 1;
      if (layer.total > 0) {
        total += layer.total;
        current += layer.done ? layer.total : Math.min(layer.current, layer.total);
      }
    }
    // Bytes when sizes are known, else finished layers; 100 only once the engine says the pull completed.
    const share = total > 0 ? current / total : layers > 0 ? done / layers : 0;
    const percent = Math.min(99, Math.floor(share * 100));
    if (percent <= this.last) return null;
    this.last = percent;
    return percent;
  }
}

/** The engine's failure message inside a pull stream, if the event is one. */
export function pullStreamError(event: PullStreamEvent): string | null {
  return event.error ?? event.errorDetail?.message ?? null;
}
