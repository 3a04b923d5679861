import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { ValueParts } from "@flowstate/object-storage-backend";
import type { S3Target } from "./target.js";

/** What every request of one upload names besides its body. */
export interface UploadParams {
  Bucket: string;
  Key: string;
  ContentType: string;
  Metadata: Record<string, string>;
}

/**
 * Uploads `parts` as a multipart upload from `queueSize + 1` part buffers that are filled
 * (`encodeInto`, or the compressor's output) and reused: `queueSize` parts are in flight while
 * the next one is encoded, and memory stays at `(queueSize + 1) × partSize` whatever the size of
 * the value. A value that fits in one part is one PutObject. On failure the upload is aborted, so
 * that no parts are left behind (best effort: the first error is the one reported).
 *
 * lib-storage's `Upload` is not used for this: from a stream it concatenates chunks into a new
 * buffer for every part (twice the part size each), and the garbage grew RSS by hundreds of MB
 * for a 256 MB value.
 */
export async function uploadParts(
  { client, options }: S3Target,
  params: UploadParams,
  parts: ValueParts,
): Promise<void> {
  const buffers: Buffer[] = [];
  const take = (): Buffer => buffers.pop() ?? Buffer.allocUnsafeSlow(options.partSize);
  const first = take();
  let firstLength: number;
  try {
    firstLength = await parts.fill(first);
  } catch (error) {
    parts.cancel();
    throw error;
  }
  if (parts.done) {
    // One part's worth (a value just above the threshold, or one that compressed well).
    const body = first.subarray(0, firstLength);
    await client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: body.length }));
    return;
  }
  // The checksum settings of lib-storage: with flexible checksums each part carries a CRC32 and
  // the completion names them.
  const checksums = (await client.config.requestChecksumCalculation()) === "WHEN_SUPPORTED";
  const algorithm = checksums ? ({ ChecksumAlgorithm: "CRC32" } as const) : {};
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ ...params, ...algorithm }));
  const target = { Bucket: params.Bucket, Key: params.Key, UploadId };
  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const send = (PartNumber: number, buffer: Buffer, length: number): void => {
    const upload = client
      .send(new UploadPartCommand({ ...target, ...algorithm, PartNumber, Body: buffer.subarray(0, length) }))
      .then(
        ({ ETag, ChecksumCRC32 }) => {
          completed.push({ PartNumber, ETag, ...(ChecksumCRC32 === undefined ? {} : { ChecksumCRC32 }) });
          buffers.push(buffer); // the request is answered: its buffer is free again
        },
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => inFlight.delete(upload));
    inFlight.add(upload);
  };
  try {
    send(1, first, firstLength);
    for (let partNumber = 2; !parts.done && failure === undefined; partNumber += 1) {
      while (inFlight.size >= options.queueSize) await Promise.race(inFlight);
      if (failure !== undefined) break;
      const buffer = take();
      const length = await parts.fill(buffer);
      if (length === 0) buffers.push(buffer);
      else send(partNumber, buffer, length);
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure.error;
    completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    await client.send(
      new CompleteMultipartUploadCommand({ ...target, MultipartUpload: { Parts: completed } }),
    );
  } catch (error) {
    parts.cancel();
    await Promise.allSettled(inFlight);
    await client.send(new AbortMultipartUploadCommand(target)).catch(() => {});
    throw error;
  }
}
