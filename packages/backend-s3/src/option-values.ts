import { endpointUrl, invalidOption, type OptionParser, text } from "@flowstate/object-storage-backend";

/** A bucket name: S3's rules (3-63 chars), plus the legacy names S3-compatible servers still allow. */
export const bucketName: OptionParser<string> = (raw) => {
  const bucket = text(raw);
  if (bucket.startsWith("s3://")) {
    throw invalidOption(raw, 'a bucket name without "s3://" (put a folder inside the bucket in `prefix`)');
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/.test(bucket)) {
    throw invalidOption(
      raw,
      'a bucket name of 3-63 lowercase letters, digits, dots and hyphens (e.g. "my-state")',
    );
  }
  return bucket;
};

/** A region name such as `eu-west-1`. */
export const regionName: OptionParser<string> = (raw) => {
  const region = text(raw);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(region)) throw invalidOption(raw, 'a region name such as "eu-west-1"');
  return region;
};

/** An http(s) URL of an S3-compatible server, without credentials in it. */
export const s3EndpointUrl: OptionParser<string> = endpointUrl({
  example: "http://127.0.0.1:9000",
  credentialAdvice:
    "Use the AWS SDK's credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE).",
});
