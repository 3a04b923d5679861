import { findMotoServer, type S3TestServer, startMotoServer, startS3Server } from "@flowstate/test-support";
import type { TestProject } from "vitest/node";

/** What a test file needs to reach one of the servers. */
export interface ServerInfo {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A bucket created for the run. */
  bucket: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    s3rver: ServerInfo;
    /** `null` when moto_server is not installed; the text says why. */
    moto: ServerInfo | null;
    motoMissingReason: string;
  }
}

// The main process has no `test.env`: silence the SDK's Node 20 deprecation notice here too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const BUCKET = "flowstate-test";
const started: S3TestServer[] = [];

function info(server: S3TestServer): ServerInfo {
  const { endpoint, region, accessKeyId, secretAccessKey } = server;
  return { endpoint, region, accessKeyId, secretAccessKey, bucket: BUCKET };
}

async function startWithBucket(start: () => Promise<S3TestServer>): Promise<S3TestServer> {
  const server = await start();
  started.push(server);
  await server.createBucket(BUCKET);
  return server;
}

export async function setup(project: TestProject): Promise<void> {
  const s3rver = await startWithBucket(() => startS3Server());
  project.provide("s3rver", info(s3rver));
  const moto = findMotoServer();
  project.provide("moto", moto ? info(await startWithBucket(startMotoServer)) : null);
  project.provide(
    "motoMissingReason",
    moto ? "" : "moto_server was not found (pyenv versions, $PATH, $FLOWSTATE_MOTO_SERVER)",
  );
}

export async function teardown(): Promise<void> {
  await Promise.all(started.splice(0).map((server) => server.stop()));
}
