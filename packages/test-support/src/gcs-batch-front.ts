import { randomUUID } from "node:crypto";
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";

/** Requests a {@link GcsBatchFront} saw, by kind. */
export interface GcsBatchFrontCounts {
  /** `POST /batch/storage/v1` requests, whatever became of them. */
  batch: number;
  /** Calls inside batch requests (each forwarded as a request of its own, or failed on purpose). */
  call: number;
  /** `DELETE /storage/v1/b/…/o/…` sent on their own: per-object deletes. */
  delete: number;
  /** Every other request, proxied unchanged. */
  other: number;
}

/** One call inside a batch, as the fault hooks see it. */
export interface GcsBatchCall {
  method: string;
  /** The call's path and query, as sent (percent-encoded). */
  path: string;
  /** The decoded object name, for a call on `/storage/v1/b/<bucket>/o/<name>`. */
  object: string | undefined;
}

/** Faults a {@link GcsBatchFront} injects on purpose. */
export interface GcsBatchFrontOptions {
  /**
   * Called for every call of every batch: a status (e.g. 503, 403) to answer that call with, as
   * GCS would (a JSON error document), instead of forwarding it; `undefined` forwards it.
   */
  failCall?: (call: GcsBatchCall) => number | undefined;
  /**
   * Called for every batch request with its number (1 for the first): a status to answer the
   * whole request with, `"no-answer"` to read it and never answer, `undefined` to serve it.
   */
  failBatch?: (batch: number) => number | "no-answer" | undefined;
}

/** A running batch front (see {@link startGcsBatchFront}). */
export interface GcsBatchFront {
  /** `http://127.0.0.1:<port>`: use it as the `apiEndpoint`. */
  endpoint: string;
  /** Live counts of what came in, by kind. */
  readonly counts: Readonly<GcsBatchFrontCounts>;
  /** Stops listening and drops open connections (those of unanswered batches too). */
  close(): Promise<void>;
}

/** GCS refuses batches of more calls, or larger bodies. */
const MAX_CALLS = 100;
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Calls of one batch forwarded at once. */
const CALLS_IN_FLIGHT = 8;
/**
 * Every request the front sends on carries `Via: 1.1 flowstate-batch-front` (as a proxy should),
 * so that a process counting its own outgoing requests can leave the front's out.
 */
const VIA = "1.1 flowstate-batch-front";
// Hop-by-hop and framing headers: each forwarded request and composed answer sets its own.
const NOT_COPIED = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host"]);

/**
 * Starts, on a free port of 127.0.0.1, an HTTP server in front of the GCS-API server at `target`
 * (firebase-tools' Storage emulator) that serves the JSON API's batch endpoint,
 * `POST /batch/storage/v1`, which the emulator lacks (it answers 501): the multipart/mixed body
 * is split into its calls, each call is forwarded to `target` as a request of its own (with the
 * batch's headers under its own, as GCS applies them), and the answers are composed into a
 * multipart/mixed answer, one `application/http` part per call tagged `Content-ID:
 * <response-ID>`, in the calls' order (https://cloud.google.com/storage/docs/batch).
 *
 * Every other request is proxied unchanged, bodies streamed both ways, with its `Host` kept, so
 * that the resumable-upload sessions the emulator opens point back at the front and big uploads
 * go through it too. What the front sends on carries `Via: 1.1 flowstate-batch-front`.
 *
 * It exists because the emulator has no batch endpoint: with it, tests and benchmarks exercise a
 * backend's batch path against a real object store; `options` injects faults the emulator cannot
 * produce.
 */
export function startGcsBatchFront(
  target: string,
  options: GcsBatchFrontOptions = {},
): Promise<GcsBatchFront> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const counts: GcsBatchFrontCounts = { batch: 0, call: 0, delete: 0, other: 0 };
  const forward = (request: ForwardedRequest) => forwardTo(upstream, agent, request);
  const server = createServer((request, response) => {
    const path = request.url ?? "/";
    if (request.method === "POST" && path.split("?")[0] === "/batch/storage/v1") {
      counts.batch += 1;
      serveBatch(request, response, counts, options, counts.batch, forward);
      return;
    }
    if (request.method === "DELETE" && /^\/storage\/v1\/b\/[^/]+\/o\//.test(path)) counts.delete += 1;
    else counts.other += 1;
    proxy(upstream, agent, request, response);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject).listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        counts,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done()).closeAllConnections();
            agent.destroy();
          }),
      });
    });
  });
}

/** A request to send to the emulator, and its whole answer. */
interface ForwardedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
interface ForwardedAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Proxies one request to `upstream` unchanged, streaming both bodies. */
function proxy(upstream: URL, agent: Agent, request: IncomingMessage, response: ServerResponse): void {
  const forwarded = httpRequest(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers: { ...request.headers, via: withVia(request.headers.via) },
      agent,
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  forwarded.on("error", (error) => response.destroy(error));
  response.on("close", () => {
    if (!response.writableFinished) forwarded.destroy();
  });
  request.pipe(forwarded);
}

function serveBatch(
  request: IncomingMessage,
  response: ServerResponse,
  counts: GcsBatchFrontCounts,
  options: GcsBatchFrontOptions,
  number: number,
  forward: (request: ForwardedRequest) => Promise<ForwardedAnswer>,
): void {
  const fault = options.failBatch?.(number);
  if (fault === "no-answer") {
    request.resume(); // read it, never answer: closing the front drops the connection
    return;
  }
  readBody(request)
    .then(async (body) => {
      if (fault !== undefined) return reply(response, gcsErrorAnswer(fault));
      if (body === undefined) return reply(response, gcsErrorAnswer(413));
      const calls = parseBatch(request.headers["content-type"], body);
      if (typeof calls === "string" || calls.length > MAX_CALLS) {
        return reply(
          response,
          gcsErrorAnswer(400, typeof calls === "string" ? calls : "Too many calls in a batch"),
        );
      }
      counts.call += calls.length;
      const answers: ForwardedAnswer[] = new Array(calls.length);
      let next = 0;
      const lane = async (): Promise<void> => {
        for (let i = next++; i < calls.length; i = next++) {
          const call = calls[i] as BatchCallRequest;
          const status = options.failCall?.(describe(call));
          answers[i] =
            status === undefined
              ? await forward(withOuterHeaders(call, request.headers))
              : gcsErrorAnswer(status);
        }
      };
      await Promise.all(Array.from({ length: CALLS_IN_FLIGHT }, lane));
      const boundary = `batch_${randomUUID()}`;
      const parts = calls.map((call, i) => answerPart(boundary, call.id, answers[i] as ForwardedAnswer));
      const composed = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
      response.writeHead(200, { "content-type": `multipart/mixed; boundary=${boundary}` }).end(composed);
    })
    .catch((error: unknown) => response.destroy(error as Error));
}

/** One call of a batch request. */
interface BatchCallRequest {
  /** The part's Content-ID, without `<>`. */
  id: string | undefined;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The calls of a multipart/mixed batch body, or what is wrong with it. */
function parseBatch(contentType: string | undefined, body: Buffer): BatchCallRequest[] | string {
  const match = /^multipart\/mixed\s*;.*?boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  if (match === null) return "A batch request must be multipart/mixed with a boundary";
  // latin1 keeps every byte as one character: parts are split as bytes, bodies kept as sent.
  const text = body.toString("latin1");
  const calls: BatchCallRequest[] = [];
  for (const piece of text.split(`--${match[1] ?? match[2]}`).slice(1)) {
    if (piece.startsWith("--")) break;
    const [partHead, http] = splitHead(piece.replace(/^[ \t]*\r?\n/, ""));
    const [requestHead, callBody] = splitHead(http);
    const [requestLine = "", ...headerLines] = requestHead.split(/\r?\n/);
    const line = /^([A-Z]+) (\S+)(?: HTTP\/\d(?:\.\d)?)?$/.exec(requestLine.trim());
    if (line === null) return `A part of the batch is not an HTTP request: ${requestLine.slice(0, 80)}`;
    // Only the path counts; a full URL is tolerated as GCS tolerates it.
    const target = line[2] as string;
    const url = target.startsWith("/") ? undefined : new URL(target);
    calls.push({
      id: /^content-id:\s*<?([^>\s]*)>?\s*$/im.exec(partHead)?.[1],
      method: line[1] as string,
      path: url === undefined ? target : `${url.pathname}${url.search}`,
      headers: headersOf(headerLines),
      body: Buffer.from(callBody.replace(/\r?\n$/, ""), "latin1"),
    });
  }
  return calls;
}

/** The batch's own headers (bar its Content-* ones) under the call's, as GCS applies them. */
function withOuterHeaders(call: BatchCallRequest, outer: IncomingHttpHeaders): ForwardedRequest {
  const inherited = Object.fromEntries(
    Object.entries(outer).filter(([name]) => !name.startsWith("content-") && !NOT_COPIED.has(name)),
  );
  return {
    method: call.method,
    path: call.path,
    headers: { ...inherited, ...call.headers },
    body: call.body,
  };
}

/** Sends one call to the emulator as a request of its own; any failure is a 502 answer. */
function forwardTo(upstream: URL, agent: Agent, call: ForwardedRequest): Promise<ForwardedAnswer> {
  return new Promise((resolve) => {
    const headers = {
      ...call.headers,
      "content-length": String(call.body.length),
      via: withVia(call.headers.via),
    };
    const request = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: call.method, path: call.path, headers, agent },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () =>
          resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }),
        );
        answer.on("error", () => resolve(gcsErrorAnswer(502)));
      },
    );
    request.on("error", () => resolve(gcsErrorAnswer(502)));
    request.end(call.body);
  });
}

/** One part of the composed answer: the call's whole HTTP response. */
function answerPart(boundary: string, id: string | undefined, answer: ForwardedAnswer): Buffer {
  const headerLines = Object.entries(answer.headers)
    .filter(([name]) => !NOT_COPIED.has(name))
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value ?? ""]).map((v) => `${name}: ${v}`));
  headerLines.push(`Content-Length: ${answer.body.length}`);
  const head =
    `--${boundary}\r\nContent-Type: application/http\r\n` +
    (id === undefined ? "" : `Content-ID: <response-${id}>\r\n`) +
    `\r\nHTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}\r\n${headerLines.join("\r\n")}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), answer.body, Buffer.from("\r\n")]);
}

/** What GCS answers with `status`: a JSON error document. */
function gcsErrorAnswer(status: number, message = STATUS_CODES[status] ?? `HTTP ${status}`): ForwardedAnswer {
  const reason = status === 503 ? "backendError" : status === 429 ? "rateLimitExceeded" : "injected";
  const error = { error: { code: status, message, errors: [{ reason, message, domain: "global" }] } };
  return {
    status,
    headers: { "content-type": "application/json; charset=UTF-8" },
    body: Buffer.from(JSON.stringify(error)),
  };
}

function reply(response: ServerResponse, answer: ForwardedAnswer): void {
  response.writeHead(answer.status, answer.headers).end(answer.body);
}

/** The request body, or `undefined` when it is larger than GCS takes. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

function describe(call: BatchCallRequest): GcsBatchCall {
  const encoded = /^\/storage\/v1\/b\/[^/]+\/o\/([^?]+)/.exec(call.path)?.[1];
  let object: string | undefined;
  try {
    object = encoded === undefined ? undefined : decodeURIComponent(encoded);
  } catch {
    object = undefined; // not valid percent-encoding: the emulator will say so
  }
  return { method: call.method, path: call.path, object };
}

function withVia(via: string | undefined): string {
  return via === undefined ? VIA : `${via}, ${VIA}`;
}

function headersOf(lines: readonly string[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** A header block and what follows the blank line after it (lines end in CRLF, or LF alone). */
function splitHead(text: string): [head: string, rest: string] {
  const blank = /\r?\n\r?\n/.exec(text);
  if (blank === null) return [text, ""];
  return [text.slice(0, blank.index), text.slice(blank.index + blank[0].length)];
}
