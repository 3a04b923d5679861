import {
  BOUNDED_WAIT_OPTIONS,
  bucketOption,
  COMPRESSION_OPTION,
  integerIn,
  type OptionTable,
  PREFIX_OPTION,
  resolveOptions,
} from "@flowstate/object-storage-backend";
import type { ConfigReader } from "@flowstate/shared-state";
import { GCS_STORE } from "./identity.js";
import { ADC_HINT, bucketName, gcsEndpointUrl, projectId } from "./option-values.js";
import type { ResolvedGcsOptions } from "./options.js";

const MIB = 1024 * 1024;

/** Every option of the GCS backend: the documentation of each is {@link GcsStateBackendOptions}. */
const GCS_OPTIONS: OptionTable<ResolvedGcsOptions> = {
  store: GCS_STORE,
  options: [
    bucketOption(bucketName),
    PREFIX_OPTION,
    { name: "projectId", key: "project_id", parse: projectId },
    { name: "apiEndpoint", key: "api_endpoint", parse: gcsEndpointUrl },
    { name: "resumableThreshold", key: "resumable_threshold", parse: integerIn(1), default: 8 * MIB },
    COMPRESSION_OPTION,
    ...BOUNDED_WAIT_OPTIONS,
  ],
  // Option names people try for credentials: they get a pointer to Application Default Credentials.
  credentialNames: /credential|key.?file|private.?key|client.?email|secret|token|password/i,
  credentialAdvice: `The backend uses Google's Application Default Credentials (${ADC_HINT})`,
};

/**
 * Merges the constructor's options (the `[workers] state_backend_kwargs` object) over the
 * config's `[gcs_state_backend]` section, checks every value and applies the defaults.
 * @throws ConfigError naming the option, where it came from and what is accepted.
 */
export function resolveGcsOptions(kwargs: unknown, config: ConfigReader | undefined): ResolvedGcsOptions {
  return resolveOptions(GCS_OPTIONS, kwargs, config);
}
