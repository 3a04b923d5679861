// One state API server process. The parent starts two of these on the same PostgreSQL database
// ([database] sql_alchemy_conn and [api_auth] jwt_secret come from the environment). It prints
// {"port": N} once listening, and stops when told to (SIGTERM) or when the parent goes away.
import { startApiServer } from "@flowstate/api-server";
import { loadConfig } from "@flowstate/sdk";

const conf = await loadConfig();
const server = await startApiServer({ conf, port: 0, logger: false });
console.log(JSON.stringify({ port: server.port }));

let closing = false;
const stop = (): void => {
  if (closing) return;
  closing = true;
  void server.close().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop).resume(); // the parent's pipe closes when the parent exits
