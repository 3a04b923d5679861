import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { ENCODING_METADATA_KEY, encodeSmall, encodeStream, storedEncoding } from "./codec.js";
import type { S3Target } from "./target.js";

const CONTENT_TYPE = "text/plain; charset=utf-8";

/**
 * Writes `value` to `key`: one PutObject below the multipart threshold, else a streamed
 * multipart upload that holds at most `partSize × queueSize` bytes and aborts itself on failure.
 */
export async function putText({ client, options }: S3Target, key: string, value: string): Promise<void> {
  const encoding = storedEncoding(options.compression);
  const common = {
    Bucket: options.bucket,
    Key: key,
    ContentType: CONTENT_TYPE,
    Metadata: { [ENCODING_METADATA_KEY]: encoding },
  };
  const byteLength = Buffer.byteLength(value, "utf8");
  if (byteLength < options.multipartThreshold) {
    const body = await encodeSmall(value, encoding);
    // An explicit length: the SDK cannot tell an empty string from a stream of unknown length.
    const length = typeof body === "string" ? byteLength : body.length;
    await client.send(new PutObjectCommand({ ...common, Body: body, ContentLength: length }));
    return;
  }
  const upload = new Upload({
    client,
    params: { ...common, Body: encodeStream(value, encoding) },
    partSize: options.partSize,
    queueSize: options.queueSize,
    leavePartsOnError: false,
  });
  await upload.done();
}
