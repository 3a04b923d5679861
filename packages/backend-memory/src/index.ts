/**
 * `@flowstate/backend-memory`: an in-process state backend with scope-derived `memory://`
 * references, for development, examples and tests.
 * @packageDocumentation
 */
export { MemoryStateBackend } from "./memory-backend.js";
export type { MemoryStateBackendOptions } from "./options.js";
