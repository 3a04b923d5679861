import type { S3Client } from "@aws-sdk/client-s3";
import type { ResolvedS3Options } from "./options.js";

/** What the object operations need: the client and the resolved options. */
export interface S3Target {
  client: S3Client;
  options: ResolvedS3Options;
}
