import { randomBytes } from 'node:crypto';
import { invalid } from './wire-format.error';

/** Helpers shared by the family codecs; not part of the public API. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalNumber(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${field} must be a number`);
  return value;
}

export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  return value;
}

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${field} must be a non-empty string`);
  return value;
}

export function requireArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${field} must be an array`);
  return value;
}

/** Drops `undefined` values so translated bodies carry only what was set. */
export function compact<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

/** A random id with the provider's usual prefix (`chatcmpl-`, `msg_`, `call_`). */
export function randomId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/** Tool arguments as a JSON object for formats that carry objects (Anthropic `input`, Gemini `args`). */
export function parseArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    // A model may produce a non-object; the object formats need an object, so it is wrapped rather than lost.
    return isRecord(parsed) ? parsed : { value: parsed };
  } catch {
    return { _raw: text };
  }
}

/** Tool arguments as JSON text; an object that is not serialisable (cycles) cannot come from JSON input. */
export function stringifyArguments(input: unknown): string {
  if (input === undefined || input === null) return '{}';
  return JSON.stringify(input);
}
