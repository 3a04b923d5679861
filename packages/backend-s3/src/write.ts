import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { ObjectWrite } from "@flowstate/object-storage-backend";
import type { S3Target } from "./target.js";

/**
 * Writes `object` to `key`: one PutObject for a `Buffer` (a value below the multipart threshold),
 * else a streamed multipart upload that holds at most `partSize × queueSize` bytes and aborts
 * itself on failure.
 */
export async function putObject(
  { client, options }: S3Target,
  key: string,
  object: ObjectWrite,
): Promise<void> {
  const common = {
    Bucket: options.bucket,
    Key: key,
    ContentType: object.contentType,
    Metadata: object.metadata,
  };
  const { body } = object;
  if (Buffer.isBuffer(body)) {
    // An explicit length: the SDK cannot tell an empty body from a stream of unknown length.
    await client.send(new PutObjectCommand({ ...common, Body: body, ContentLength: body.length }));
    return;
  }
  const upload = new Upload({
    client,
    params: { ...common, Body: body },
    partSize: options.partSize,
    queueSize: options.queueSize,
    leavePartsOnError: false,
  });
  await upload.done();
}
