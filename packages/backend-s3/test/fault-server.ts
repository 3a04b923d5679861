import { createServer, type IncomingMessage } from "node:http";

/** A canned S3 answer. */
export interface FaultReply {
  status: number;
  body: string;
}

/** A local HTTP server that answers like S3 would in a failure nothing else here can produce. */
export interface FaultServer {
  endpoint: string;
  /** Every request seen, as `METHOD /path?query`. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on a free port of 127.0.0.1 that answers every request with
 * `reply(request)`. For faults injected on purpose (refused signatures, per-key delete errors)
 * that s3rver and moto cannot produce.
 */
export function startFaultServer(reply: (request: IncomingMessage) => FaultReply): Promise<FaultServer> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume().on("end", () => {
      const { status, body } = reply(request);
      response.writeHead(status, { "content-type": "application/xml" }).end(body);
    });
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

/** An S3 error document. `extra` is appended inside `<Error>` (what real S3 echoes back). */
export function s3Error(status: number, code: string, message: string, extra = ""): FaultReply {
  return {
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>fault</RequestId></Error>`,
  };
}
