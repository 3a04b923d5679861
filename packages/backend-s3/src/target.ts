import type { S3Client } from "@aws-sdk/client-s3";
import type { StateBackendOperation } from "@flowstate/shared-state";
import type { ResolvedS3Options } from "./options.js";

/** What the object operations need: the client, the resolved options, and the operation for messages. */
export interface S3Target {
  client: S3Client;
  options: ResolvedS3Options;
  operation: StateBackendOperation;
}
