import { CodedError } from '@pantheon/errors';

export enum ConfigErrorCode {
  INVALID_CONFIG = 'INVALID_CONFIG',
}

/** Thrown when the environment does not satisfy the schema; the message names every bad variable. */
export class ConfigError extends CodedError<ConfigErrorCode> {
  constructor(readonly problems: string[]) {
    super(ConfigErrorCode.INVALID_CONFIG, `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
