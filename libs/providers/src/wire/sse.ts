/** One server-sent event: an optional `event:` line, then the JSON `data:` line and the blank separator. */
export function sseFrame(data: unknown, event?: string): string {
  const head = event === undefined ? '' : `event: ${event}\n`;
  return `${head}data: ${JSON.stringify(data)}\n\n`;
}
