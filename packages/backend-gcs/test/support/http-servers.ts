import { request as httpRequest, type IncomingMessage } from "node:http";
import { startHttpServer, type TestHttpServer } from "@flowstate/test-support";

export type { TestHttpServer };

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
  return startHttpServer((request, response) => {
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
 * type the client chose (and, into `bodies`, each request's body as text: what the client sent
 * that the emulator does not keep). Resumable uploads continue at the session URL the server
 * hands out, so only their first request passes through here.
 */
export function startRecordingProxy(target: string, bodies: string[] = []): Promise<TestHttpServer> {
  const upstream = new URL(target);
  return startHttpServer((request, response) => {
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
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => bodies.push(Buffer.concat(chunks).toString("utf8")));
    request.pipe(forwarded);
  });
}
