import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { ObjectWrite } from "@flowstate/object-storage-backend";
import { uploadParts } from "./multipart.js";
import type { S3Target } from "./target.js";

/**
 * Writes `object` to `key`: one PutObject for a `Buffer` (a value below the multipart threshold),
 * else a multipart upload from a few reused part buffers that holds at most
 * `partSize × (queueSize + 1)` bytes and aborts itself on failure.
 */
export async function putObject(target: S3Target, key: string, object: ObjectWrite): Promise<void> {
  const { client, options } = target;
  const params = {
    Bucket: options.bucket,
    Key: key,
    ContentType: object.contentType,
    Metadata: object.metadata,
  };
  const { body, parts } = object;
  if (Buffer.isBuffer(body)) {
    // An explicit length: the SDK cannot tell an empty body from a stream of unknown length.
    await client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: body.length }));
    return;
  }
  if (parts !== undefined) {
    await uploadParts(target, params, parts);
    return;
  }
  // A stream only (not what the base class sends, but what the type allows).
  const upload = new Upload({
    client,
    params: { ...params, Body: body },
    partSize: options.partSize,
    queueSize: options.queueSize,
    leavePartsOnError: false,
  });
  await upload.done();
}
