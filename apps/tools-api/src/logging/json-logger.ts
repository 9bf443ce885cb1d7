export type LogLevel = 'info' | 'error';

export type LogFields = Record<string, string | number | boolean | null>;

/** Where log lines go; `process.stdout` in production, a buffer in specs. */
export interface LogSink {
  write(line: string): unknown;
}

/**
 * One JSON object per line. Callers pass explicit fields only (never a request, its headers or a raw
 * upstream error), so nothing sensitive reaches the log by accident.
 */
export class JsonLogger {
  constructor(
    private readonly sink: LogSink,
    private readonly context: LogFields = {},
  ) {}

  info(msg: string, fields: LogFields = {}): void {
    this.write('info', msg, fields);
  }

  error(msg: string, fields: LogFields = {}): void {
    this.write('error', msg, fields);
  }

  private write(level: LogLevel, msg: string, fields: LogFields): void {
    const line = { time: new Date().toISOString(), level, ...this.context, msg, ...fields };
    this.sink.write(`${JSON.stringify(line)}\n`);
  }
}
