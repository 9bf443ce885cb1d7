import type { ProjectEventInput } from '@pantheon/events';
import type { ReadinessResult } from './provisioning/health';

/** Injection tokens of the worker's external systems (each bound once, in worker.module.ts). */
export const RUNTIME = Symbol('RUNTIME');
export const PROJECTS = Symbol('PROJECTS');
export const PROJECT_EVENTS = Symbol('PROJECT_EVENTS');
export const JOB_QUEUE = Symbol('JOB_QUEUE');
export const JOB_QUEUES = Symbol('JOB_QUEUES');
export const TOOLS_READINESS = Symbol('TOOLS_READINESS');
export const TOOLS_CREDENTIAL = Symbol('TOOLS_CREDENTIAL');

/** Where processors report project changes (Redis stream + socket.io rooms in production). */
export interface ProjectEventSink {
  publish(input: ProjectEventInput): Promise<unknown>;
}

/** Waits until the tools API at `url` reports its VM ready (an HTTP poll in production, sending `credential`). */
export type ToolsReadiness = (url: string, timeoutMs: number, credential: string) => Promise<ReadinessResult>;

/** The bearer credential a project's tools API requires (derived from the master key in production). */
export type ToolsCredential = (projectId: string) => string;
