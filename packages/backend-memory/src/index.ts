/**
 * `@flowstate/backend-memory`: an in-process state backend with versioned `memory://`
 * references, for development, examples and tests.
 * @packageDocumentation
 */
export { MemoryStateBackend } from "./memory-backend.js";
export type { MemoryStateBackendOptions } from "./options.js";
