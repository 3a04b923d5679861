import {
  BOUNDED_WAIT_OPTIONS,
  boolean,
  bucketOption,
  COMPRESSION_OPTION,
  integerIn,
  type OptionTable,
  oneOf,
  PREFIX_OPTION,
  resolveOptions,
} from "@flowstate/object-storage-backend";
import type { ConfigReader } from "@flowstate/shared-state";
import { S3_STORE } from "./identity.js";
import { bucketName, regionName, s3EndpointUrl } from "./option-values.js";
import { DEFAULT_PART_SIZE, MAX_PART_SIZE, MIN_PART_SIZE, type ResolvedS3Options } from "./options.js";

// More parallel parts than this buys nothing but memory (partSize × queueSize).
const MAX_QUEUE_SIZE = 64;

/** Every option of the S3 backend: the documentation of each is {@link S3StateBackendOptions}. */
const S3_OPTIONS: OptionTable<ResolvedS3Options> = {
  store: S3_STORE,
  options: [
    bucketOption(bucketName),
    PREFIX_OPTION,
    { name: "region", key: "region", parse: regionName },
    { name: "endpoint", key: "endpoint", parse: s3EndpointUrl },
    { name: "forcePathStyle", key: "force_path_style", parse: boolean, default: false },
    {
      name: "multipartThreshold",
      key: "multipart_threshold",
      parse: integerIn(1),
      default: DEFAULT_PART_SIZE,
    },
    {
      name: "partSize",
      key: "part_size",
      parse: integerIn(MIN_PART_SIZE, MAX_PART_SIZE),
      default: DEFAULT_PART_SIZE,
    },
    { name: "queueSize", key: "queue_size", parse: integerIn(1, MAX_QUEUE_SIZE), default: 4 },
    COMPRESSION_OPTION,
    {
      name: "checksums",
      key: "checksums",
      parse: oneOf("when_supported", "when_required"),
      default: "when_supported",
    },
    ...BOUNDED_WAIT_OPTIONS,
  ],
  // Option names people try for credentials: they get a pointer to the SDK's provider chain.
  credentialNames: /access.?key|secret|session.?token|credential|password/i,
  credentialAdvice:
    "The backend uses the AWS SDK's default credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance/container role)",
};

/**
 * Merges the constructor's options (the `[workers] state_backend_kwargs` object) over the
 * config's `[s3_state_backend]` section, checks every value and applies the defaults.
 * @throws ConfigError naming the option, where it came from and what is accepted.
 */
export function resolveS3Options(kwargs: unknown, config: ConfigReader | undefined): ResolvedS3Options {
  return resolveOptions(S3_OPTIONS, kwargs, config);
}
