import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { type ObjectWrite, timeoutError } from "@flowstate/object-storage-backend";
import type { File } from "@google-cloud/storage";
import { markedContentType } from "./content-type.js";
import type { GcsTarget } from "./target.js";
import { putParts, UploadMismatchError } from "./upload.js";

type RequestOptions = ReturnType<File["interceptors"][number]["request"]>;

/**
 * Writes `object` to `name`: one simple upload for a `Buffer` (a value below the resumable
 * threshold), else a resumable upload streamed from the value's (compressed) UTF-8 bytes. An
 * expiry becomes the object's `customTime`, for a bucket lifecycle rule (`daysSinceCustomTime`).
 * The Content-Type carries the encoding marker too, so that a read needs one request.
 */
export async function saveObject(
  { bucket, options }: GcsTarget,
  name: string,
  object: ObjectWrite,
): Promise<void> {
  const metadata = {
    contentType: markedContentType(object.contentType, object.metadata),
    metadata: object.metadata,
    ...(object.expiresAt === undefined ? {} : { customTime: object.expiresAt.toISOString() }),
  };
  const file = bucket.file(name);
  if (Buffer.isBuffer(object.body)) {
    await file.save(object.body, { resumable: false, metadata });
    return;
  }
  const parts = object.parts;
  if (parts === undefined) throw new Error("a streamed write comes with its parts"); // ObjectWrite's contract
  object.body.destroy(); // the parts are read instead: the stream form is never encoded
  const { agent, close } = uploadAgent(options.apiEndpoint ?? "https://storage.googleapis.com");
  // The client's type says an interceptor gets and returns a whole request; it builds the
  // session request's extra options from `{}` through them.
  file.interceptors.push({
    request: (requestOptions) => ({ ...requestOptions, agent }) as unknown as RequestOptions,
  });
  try {
    // The session is opened by the client (credentials, retries); the bytes go in one PUT from
    // a few reused buffers (upload.ts), not through the client, which takes fresh chunks.
    const sessionUri = await within(
      file.createResumableUpload({ metadata }),
      options.requestTimeoutMs,
      close,
    );
    await putParts(sessionUri[0], parts, { agent, idleMs: options.requestTimeoutMs, abort: close });
  } catch (error) {
    parts.cancel();
    if (error instanceof UploadMismatchError) await deleteMismatched(file, error);
    throw error;
  } finally {
    close();
  }
}

/** Deletes an object whose stored bytes are not the ones sent; the error says whether that worked. */
async function deleteMismatched(file: File, error: UploadMismatchError): Promise<void> {
  try {
    await file.delete();
    error.message += ": the object was deleted. Set the key again.";
  } catch {
    error.message += `, and deleting it failed: delete gs://${file.bucket.name}/${file.name} by hand, then set the key again.`;
  }
}

/**
 * `work`, failing with a TimeoutError when it has not settled within `ms` (the client sends an
 * upload's session request without a timeout, retries included); then `abort()` too.
 */
async function within<T>(work: Promise<T>, ms: number, abort: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort();
      reject(timeoutError("the upload made no progress", ms));
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An agent for the requests of one resumable upload, which the client sends without a timeout:
 * `close()` (when the upload stalls, or is over) destroys its connections and fails every later
 * one at once, so that no retry of the client's is left waiting on a silent endpoint.
 */
function uploadAgent(endpoint: string): { agent: HttpAgent; close: () => void } {
  const agent = endpoint.startsWith("https:") ? new HttpsAgent() : new HttpAgent();
  const connect = agent.createConnection.bind(agent);
  let closed = false;
  agent.createConnection = (requestOptions, callback) => {
    if (!closed) return connect(requestOptions, callback);
    const error = Object.assign(new Error("the upload was given up"), { code: "ECONNABORTED" });
    callback?.(error, undefined as never);
    return undefined;
  };
  const close = (): void => {
    closed = true;
    agent.destroy();
  };
  return { agent, close };
}
