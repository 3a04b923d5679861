import { S3Client } from "@aws-sdk/client-s3";
import { TaskScope } from "@flowstate/shared-state";
import type { S3StateBackendOptions } from "../src/index.js";
import { S3StateBackend } from "../src/index.js";
import type { ServerInfo } from "./global-setup.js";

export const MIB = 1024 * 1024;

/** Options that point a backend at a test server; `extra` overrides any of them. */
export function serverOptions(
  server: ServerInfo,
  extra: Partial<S3StateBackendOptions> = {},
): Partial<S3StateBackendOptions> {
  return {
    bucket: server.bucket,
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    checksums: "when_required",
    ...extra,
  };
}

/** A backend on a test server, closed by the caller (or by {@link closeAll}). */
export function backendOn(server: ServerInfo, extra: Partial<S3StateBackendOptions> = {}): S3StateBackend {
  return new S3StateBackend(serverOptions(server, extra));
}

/** A raw client for checking what the backend stored. */
export function rawClient(server: ServerInfo): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

let counter = 0;
/** A task scope no other test uses. */
export function uniqueTaskScope(label: string, mapIndex = -1): TaskScope {
  counter += 1;
  return new TaskScope({
    dagId: `s3-${label}-${process.pid}-${Date.now().toString(36)}-${counter}`,
    runId: "manual__2024-01-01T00:00:00+00:00",
    taskId: "task",
    mapIndex,
  });
}

/** A prefix no other test uses, so tests on one bucket cannot see each other's objects. */
export function uniquePrefix(label: string): string {
  counter += 1;
  return `tests/${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}
