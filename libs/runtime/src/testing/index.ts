// `@pantheon/runtime/testing`: fakes for unit tests of the runtime's callers. Production code never imports it.
export { InMemoryRuntime, type InMemoryRuntimeOptions } from './in-memory.runtime';
