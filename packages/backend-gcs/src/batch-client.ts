import { type Agent, Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { timeoutError } from "@flowstate/object-storage-backend";
import type { Storage } from "@google-cloud/storage";
import type { BatchBody } from "./batch-wire.js";
import type { ResolvedGcsOptions } from "./options.js";

/** What the batch endpoint answered: the status, and the body as text. */
export interface BatchAnswer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/**
 * Sends batch requests to the JSON API's batch endpoint, `<endpoint>/batch/storage/v1`. Google's
 * Node client has no batch API, so this is plain `node:http(s)` (as the streamed upload's PUT is),
 * on an agent of its own that {@link close} releases.
 *
 * The endpoint and the choice to send credentials are the Storage client's own: its
 * `apiEndpoint` (Google's, or the `apiEndpoint` option), and no credentials at a custom endpoint
 * (an emulator) unless the client would send them there. Credentials come from the client's auth
 * client (Application Default Credentials), asked for the request's headers each time (it caches
 * and refreshes the token). The headers are never kept, logged or put in an error.
 */
export class BatchClient {
  /**
   * Whether the endpoint has a batch API: `undefined` until its first answer to a batch; `false`
   * once it answered 404, 405 or 501 to the batch request itself (as an emulator does), and the
   * backend deletes one object per request from then on.
   */
  supported: boolean | undefined = undefined;
  readonly #url: URL;
  readonly #agent: Agent;
  readonly #storage: Storage;
  readonly #options: ResolvedGcsOptions;

  constructor(storage: Storage, options: ResolvedGcsOptions) {
    this.#storage = storage;
    this.#options = options;
    this.#url = new URL(`${storage.apiEndpoint}/batch/storage/v1`);
    // Idle keep-alive sockets are unref'd by Node: they do not keep a process alive.
    const agentOptions = { keepAlive: true };
    this.#agent =
      this.#url.protocol === "https:" ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  /**
   * POSTs one batch and resolves with whatever status came back; rejects only when there was no
   * answer (or no credentials). Bounded by the backend's waits: opening the connection may take
   * `connectTimeoutMs`, the answer (all of it) `requestTimeoutMs` after that; then the request is
   * destroyed and rejects with a TimeoutError that names the option.
   */
  async post({ contentType, body }: BatchBody): Promise<BatchAnswer> {
    const credentials = await this.#credentials();
    const headers = {
      ...credentials,
      "content-type": contentType,
      "content-length": String(Buffer.byteLength(body)),
    };
    return send(this.#url, headers, body, this.#agent, this.#options);
  }

  /** Drops the agent's connections. */
  close(): void {
    this.#agent.destroy();
  }

  async #credentials(): Promise<Record<string, string>> {
    const storage = this.#storage;
    if (storage.customEndpoint && !storage.useAuthWithCustomEndpoint) return {};
    const headers = await storage.authClient.getRequestHeaders(this.#url.href);
    return { ...headers };
  }
}

function send(
  url: URL,
  headers: Record<string, string>,
  body: string,
  agent: Agent,
  { connectTimeoutMs, requestTimeoutMs }: ResolvedGcsOptions,
): Promise<BatchAnswer> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (error: unknown, answer?: BatchAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (answer !== undefined) resolve(answer);
      else {
        request.destroy();
        reject(error);
      }
    };
    const giveUpAfter = (ms: number, error: Error): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(error), ms);
    };
    const noAnswer = (): void =>
      giveUpAfter(requestTimeoutMs, timeoutError("no answer from the endpoint", requestTimeoutMs));
    const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, {
      method: "POST",
      agent,
      headers,
    });
    request.once("socket", (socket) => {
      if (!socket.connecting) return noAnswer(); // a kept-alive connection
      // `syscall: "connect"` makes the message name connect_timeout_ms.
      const error = Object.assign(timeoutError("could not establish a connection", connectTimeoutMs), {
        syscall: "connect",
      });
      giveUpAfter(connectTimeoutMs, error);
      socket.once("connect", noAnswer);
    });
    request.on("error", (error) => finish(error));
    request.once("response", (response) => {
      readAll(response).then(
        (text) =>
          finish(undefined, {
            status: response.statusCode ?? 0,
            contentType: response.headers["content-type"],
            body: text,
          }),
        finish,
      );
    });
    request.end(body);
  });
}

async function readAll(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
