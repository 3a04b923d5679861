import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { StoredObject } from "@flowstate/object-storage-backend";
import type { Bucket, FileMetadata } from "@google-cloud/storage";
import { metadataFromHeaders } from "./content-type.js";
import { isObjectMissing } from "./errors.js";
import { failWhenIdle } from "./idle.js";
import type { GcsTarget } from "./target.js";

/**
 * The object at `name`, or `undefined` when there is no such object, in one request: a media
 * download, whose headers carry the encoding marker (see `content-type.ts`) and whose bytes are
 * of one generation. Only an object whose headers do not tell the marker (written before this
 * version, or by another tool, on a server that sends no `x-goog-meta-*` headers) costs a second
 * request: the metadata of the generation the bytes came from, so that both still belong together.
 */
export async function openObject(
  { bucket, options }: GcsTarget,
  name: string,
): Promise<StoredObject | undefined> {
  const bytes = bucket.file(name).createReadStream();
  const response = await responseOf(bytes);
  if (response === undefined) return undefined;
  const metadata =
    metadataFromHeaders(response.headers) ?? (await askedMetadata(bucket, name, response, bytes));
  if (metadata === null) return undefined;
  return { metadata, body: failWhenIdle(bytes, response, options.requestTimeoutMs) };
}

/**
 * Starts the download and resolves its response once the server answered 2xx, `undefined` when it
 * answered "no such object"; any other failure rejects. The client reports an error status as an
 * error of the stream (with the body as its message), after its `response` event.
 */
function responseOf(stream: Readable): Promise<IncomingMessage | undefined> {
  return new Promise((resolve, reject) => {
    const onResponse = (response: IncomingMessage): void => {
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) return; // its error follows
      stream.off("error", onError);
      resolve(response);
    };
    const onError = (error: unknown): void => {
      stream.off("response", onResponse);
      if (isObjectMissing(error)) resolve(undefined);
      else reject(error);
    };
    stream.on("response", onResponse);
    stream.once("error", onError);
    stream.read(0); // the client sends its request when the stream is first read
  });
}

/**
 * The custom metadata of the generation `response` carries, asked for in a request of its own;
 * `null` when that generation was deleted since (the object is gone). `bytes` is destroyed unless
 * the metadata is returned.
 */
async function askedMetadata(
  bucket: Bucket,
  name: string,
  response: IncomingMessage,
  bytes: Readable,
): Promise<Readonly<Record<string, unknown>> | undefined | null> {
  // An error of the bytes meanwhile is kept for whoever reads them: the stream holds it.
  const ignore = (): void => {};
  bytes.on("error", ignore);
  try {
    const generation = response.headers["x-goog-generation"];
    const described = await generationMetadata(
      bucket,
      name,
      typeof generation === "string" ? generation : undefined,
    );
    if (described === undefined) bytes.destroy();
    return described === undefined ? null : (described.metadata ?? undefined);
  } catch (error) {
    bytes.destroy();
    throw error;
  } finally {
    bytes.off("error", ignore);
  }
}

async function generationMetadata(
  bucket: Bucket,
  name: string,
  generation: string | undefined,
): Promise<FileMetadata | undefined> {
  try {
    const [metadata] = await bucket.file(name, { generation }).getMetadata();
    return metadata;
  } catch (error) {
    if (isObjectMissing(error)) return undefined;
    throw error;
  }
}
