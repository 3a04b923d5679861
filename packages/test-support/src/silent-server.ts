import { randomBytes } from "node:crypto";
import { createServer, type Socket } from "node:net";

/** A local TCP server started by a test that does not behave like the storage service it stands in for. */
export interface TestTcpServer {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  port: number;
  /** How many connections it accepted so far. */
  readonly connections: number;
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

/**
 * Starts a "black hole" on a free port of 127.0.0.1: it accepts connections and reads what is
 * sent, and never answers. A client without bounded waits hangs on it forever.
 */
export function startSilentServer(): Promise<TestTcpServer> {
  return startTcpServer((socket) => {
    socket.resume();
  });
}

/**
 * Starts a server on a free port of 127.0.0.1 that answers the first bytes of every connection
 * with `answer` (by default a line of another protocol, then random bytes) and closes it: what a
 * client meets when its endpoint names the wrong port or service.
 */
export function startGarbageServer(
  answer: Buffer | string = Buffer.concat([Buffer.from("SSH-2.0-OpenSSH_9.6\r\n"), randomBytes(64)]),
): Promise<TestTcpServer> {
  return startTcpServer((socket) => {
    socket.once("data", () => socket.end(answer));
  });
}

/** Runs `work` with a server from `start`, and closes the server after, whatever `work` does. */
export async function withTestServer<S extends { close(): Promise<void> }>(
  start: () => Promise<S>,
  work: (server: S) => Promise<void>,
): Promise<void> {
  const server = await start();
  try {
    await work(server);
  } finally {
    await server.close();
  }
}

function startTcpServer(onConnection: (socket: Socket) => void): Promise<TestTcpServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("error", () => {}).on("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject).listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        port,
        get connections() {
          return connections;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
