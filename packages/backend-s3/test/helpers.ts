import type { S3Client } from "@aws-sdk/client-s3";
import { createTestS3Client } from "@flowstate/test-support";
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
export const rawClient: (server: ServerInfo) => S3Client = createTestS3Client;

export { uniquePrefix, uniqueTaskScope } from "@flowstate/test-support";
