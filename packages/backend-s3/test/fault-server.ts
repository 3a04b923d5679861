import type { IncomingMessage } from "node:http";
import { startHttpServer, type TestHttpServer } from "@flowstate/test-support";

/** A canned S3 answer. */
export interface FaultReply {
  status: number;
  body: string;
}

/**
 * Starts a server that answers every request with `reply(request)` as S3's XML, for faults
 * injected on purpose (refused signatures, per-key delete errors) that s3rver and moto cannot
 * produce.
 */
export function startFaultServer(reply: (request: IncomingMessage) => FaultReply): Promise<TestHttpServer> {
  return startHttpServer((request, response) => {
    request.resume().on("end", () => {
      const { status, body } = reply(request);
      response.writeHead(status, { "content-type": "application/xml" }).end(body);
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
