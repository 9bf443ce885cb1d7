import type { ProjectEventInput } from '@pantheon/events';

/** Injection tokens of the worker's external systems (each bound once, in worker.module.ts). */
export const RUNTIME = Symbol('RUNTIME');
export const PROJECTS = Symbol('PROJECTS');
export const PROJECT_EVENTS = Symbol('PROJECT_EVENTS');
export const JOB_QUEUE = Symbol('JOB_QUEUE');

/** Where processors report project changes (Redis stream + socket.io rooms in production). */
export interface ProjectEventSink {
  publish(input: ProjectEventInput): Promise<unknown>;
}
