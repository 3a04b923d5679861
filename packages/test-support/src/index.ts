/**
 * `@flowstate/test-support`: starts and stops the local S3-compatible servers, the GCS emulator and throwaway PostgreSQL clusters that flowstate's
 * tests, examples and benchmarks share. Every server runs in a child process on a free port with
 * its data in a temp dir, and dies with the process that started it.
 * @packageDocumentation
 */
export { freePort } from "./free-port.js";
export {
  type GcsBatchCall,
  type GcsBatchFront,
  type GcsBatchFrontCounts,
  type GcsBatchFrontOptions,
  startGcsBatchFront,
} from "./gcs-batch-front.js";
export { type GcsEmulator, type StartGcsEmulatorOptions, startGcsEmulator } from "./gcs-emulator.js";
export { startHttpServer, type TestHttpServer } from "./http-server.js";
export { findMotoServer, type MotoInstallation, startMotoServer } from "./moto.js";
export { findPostgresBin, type PostgresTestServer, startPostgresServer } from "./postgres.js";
export { type StartS3ServerOptions, startS3Server } from "./s3rver.js";
export { createTestS3Client, type S3TestServer } from "./server.js";
export {
  startGarbageServer,
  startSilentServer,
  type TestTcpServer,
  withTestServer,
} from "./silent-server.js";
export { charCutValue, partCutValue } from "./text-values.js";
export { uniquePrefix, uniqueTaskScope } from "./unique.js";
