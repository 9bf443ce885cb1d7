/** Small helpers every benchmark shares: one percentile definition, so figures from different benches compare. */

/** Nearest-rank percentile of ascending samples (NaN when there are none). */
export function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}

/** An integer setting from the environment, `min`..100, else `fallback`. */
export function positiveInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > 100) throw new Error(`${name} must be an integer ${min}..100`);
  return value;
}
