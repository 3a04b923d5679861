import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { ObjectWrite } from "@flowstate/object-storage-backend";
import type { File } from "@google-cloud/storage";
import { pipeWithin } from "./idle.js";
import type { GcsTarget } from "./target.js";

type RequestOptions = ReturnType<File["interceptors"][number]["request"]>;

/**
 * Writes `object` to `name`: one simple upload for a `Buffer` (a value below the resumable
 * threshold), else a resumable upload streamed from the value's (compressed) UTF-8 bytes. An
 * expiry becomes the object's `customTime`, for a bucket lifecycle rule (`daysSinceCustomTime`).
 */
export async function saveObject(
  { bucket, options }: GcsTarget,
  name: string,
  object: ObjectWrite,
): Promise<void> {
  const metadata = {
    contentType: object.contentType,
    metadata: object.metadata,
    ...(object.expiresAt === undefined ? {} : { customTime: object.expiresAt.toISOString() }),
  };
  const file = bucket.file(name);
  if (Buffer.isBuffer(object.body)) {
    await file.save(object.body, { resumable: false, metadata });
    return;
  }
  // One streamed request: the client keeps no copy of the value, and (unlike chunked uploads)
  // every GCS-API server, the firebase emulator included, stores it whole.
  const { agent, close } = uploadAgent(options.apiEndpoint ?? "https://storage.googleapis.com");
  // The client's type says an interceptor gets and returns a whole request; it builds the
  // upload's extra request options from `{}` through them.
  file.interceptors.push({
    request: (requestOptions) => ({ ...requestOptions, agent }) as unknown as RequestOptions,
  });
  try {
    const upload = file.createWriteStream({ resumable: true, metadata });
    await pipeWithin(object.body, upload, options.requestTimeoutMs, close);
  } finally {
    close();
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
