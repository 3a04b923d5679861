/**
 * An example flowstate plugin: a worker state backend that keeps each value in a file.
 * Operators select it with `[workers] state_backend = flowstate-backend-fs.FileSystemStateBackend`.
 * @packageDocumentation
 */
export { FileSystemStateBackend, type FileSystemStateBackendOptions } from "./fs-state-backend.js";
