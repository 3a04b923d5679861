import { endpointUrl, invalidOption, type OptionParser, text } from "@flowstate/object-storage-backend";

/** Where Google's client finds credentials, for messages that point there. */
export const ADC_HINT =
  "GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, or the workload's service account";

/**
 * A bucket name by GCS's rules: 3-63 characters (up to 222 in dot-separated parts of at most
 * 63), lowercase letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit.
 * `""` stays `""`, for the "missing required option" message.
 */
export const bucketName: OptionParser<string> = (raw) => {
  const bucket = text(raw);
  if (bucket === "") return bucket;
  if (bucket.startsWith("gs://")) {
    throw invalidOption(raw, 'a bucket name without "gs://" (put a folder inside the bucket in `prefix`)');
  }
  const parts = bucket.split(".");
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket) || parts.some((p) => p === "" || p.length > 63)) {
    throw invalidOption(
      raw,
      'a bucket name of 3-63 lowercase letters, digits, hyphens, underscores and dots (e.g. "my-state")',
    );
  }
  return bucket;
};

/** A project id such as `my-project-123` (GCS wants 6-30 characters; emulators take shorter ones). */
export const projectId: OptionParser<string> = (raw) => {
  const id = text(raw);
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(id)) throw invalidOption(raw, 'a project id such as "my-project-123"');
  return id;
};

/** An http(s) URL of a GCS-API server (an emulator), without credentials in it. */
export const gcsEndpointUrl: OptionParser<string> = endpointUrl({
  example: "http://127.0.0.1:9199",
  credentialAdvice: `Use Google's Application Default Credentials (${ADC_HINT}).`,
});
