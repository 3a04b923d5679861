import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";

/** A local HTTP server started by a test, with every request it saw. */
export interface TestHttpServer {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Every request seen, as `METHOD /path?query`. */
  requests: string[];
  close(): Promise<void>;
}

/** A canned GCS JSON-API answer. */
export interface FaultReply {
  status: number;
  body: unknown;
}

/**
 * Starts a server on a free port of 127.0.0.1 that answers every request with `reply(request)`,
 * for faults injected on purpose (a missing bucket, refused credentials) that the emulator
 * cannot produce.
 */
export function startFaultServer(reply: (request: IncomingMessage) => FaultReply): Promise<TestHttpServer> {
  return listen((request, response) => {
    request.resume().on("end", () => {
      const { status, body } = reply(request);
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
}

/** A GCS JSON-API error document, as GCS sends it. */
export function gcsError(status: number, reason: string, message: string): FaultReply {
  return {
    status,
    body: { error: { code: status, message, errors: [{ reason, message, domain: "global" }] } },
  };
}

/**
 * Starts a forwarding proxy to `target` that records each request line, to see which upload
 * type the client chose. Resumable uploads continue at the session URL the server hands out,
 * so only their first request passes through here.
 */
export function startRecordingProxy(target: string): Promise<TestHttpServer> {
  const upstream = new URL(target);
  return listen((request, response) => {
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on("error", (error) => response.destroy(error));
    request.pipe(forwarded);
  });
}

function listen(
  handle: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<TestHttpServer> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    handle(request, response);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject).listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        close: () => new Promise<void>((done) => server.close(() => done()).closeAllConnections()),
      });
    });
  });
}
