import type { ObjectStorageOptions } from "../types.js";
import type { OptionSpec } from "./resolve.js";
import { type OptionParser, oneOf, prefixPath } from "./values.js";

type CommonSpec = OptionSpec<ObjectStorageOptions>;

/** The required `bucket` option, checked by the store's own naming rules. */
export function bucketOption(parse: OptionParser<string>): CommonSpec {
  return { name: "bucket", key: "bucket", parse, required: true };
}

/** The `prefix` option: a folder inside the bucket, `""` by default. */
export const PREFIX_OPTION: CommonSpec = { name: "prefix", key: "prefix", parse: prefixPath, default: "" };

/** The `compression` option: `none` (the default), `gzip` or `brotli`. */
export const COMPRESSION_OPTION: CommonSpec = {
  name: "compression",
  key: "compression",
  parse: oneOf("none", "gzip", "brotli"),
  default: "none",
};
