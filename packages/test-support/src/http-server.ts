import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/** A local HTTP server started by a test, with every request it saw. */
export interface TestHttpServer {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Every request seen, as `METHOD /path?query`. */
  requests: string[];
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on a free port of 127.0.0.1 that records each request line and hands the
 * request to `handle`. For faults injected on purpose (answers a real server cannot be made to
 * give) and for recording proxies.
 */
export function startHttpServer(
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
