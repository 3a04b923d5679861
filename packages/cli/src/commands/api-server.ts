import { DEFAULT_HOST, DEFAULT_PORT, startApiServer } from "@flowstate/api-server";
import { resetWorkerStateBackendCache } from "@flowstate/sdk";
import { type Command, InvalidArgumentError, Option } from "commander";
import { loadCliConfig } from "../context.js";
import { type CliIo, writeLine } from "../io.js";

/** Registers `flowstate api-server`: the state API server, until SIGINT or SIGTERM. */
export function registerApiServerCommand(program: Command, io: CliIo): void {
  program
    .command("api-server")
    .description(
      "Run the state API server (task and asset state over HTTP for workers with task tokens) on the configured store until SIGINT or SIGTERM.",
    )
    .option("--host <host>", "address to listen on", DEFAULT_HOST)
    .addOption(
      new Option("--port <port>", "port to listen on (0: any free port)")
        .argParser(parsePort)
        .default(DEFAULT_PORT),
    )
    .action(async (options: { host: string; port: number }, command: Command) => {
      const conf = await loadCliConfig(command, io);
      const server = await startApiServer({ conf, host: options.host, port: options.port });
      writeLine(
        io.stdout,
        `flowstate api-server listening on ${server.url} (Execution API: ${server.apiUrl})`,
      );
      const signal = await nextStopSignal();
      writeLine(io.stderr, `flowstate api-server: ${signal}, stopping`);
      // Finishes requests in flight and closes the store it opened; then the backends loaded meanwhile.
      await server.close();
      await resetWorkerStateBackendCache();
    });
}

function parsePort(text: string): number {
  const port = Number(text);
  if (/^\s*\d+\s*$/.test(text) && port <= 65_535) return port;
  throw new InvalidArgumentError(`--port must be a whole number from 0 to 65535, got '${text}'.`);
}

/** Resolves with the name of the first SIGINT or SIGTERM, then stops listening for them. */
function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
    const stop = (signal: NodeJS.Signals): void => {
      for (const name of signals) process.off(name, stop);
      resolve(signal);
    };
    for (const name of signals) process.on(name, stop);
  });
}
