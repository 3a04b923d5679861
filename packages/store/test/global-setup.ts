import { type PostgresTestServer, startPostgresServer } from "@flowstate/test-support";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The superuser URL of the run's throwaway PostgreSQL (tests create a database each). */
    postgresUrl: string;
  }
}

let server: PostgresTestServer | undefined;

/** One PostgreSQL cluster for the whole store project, started once per run. */
export async function setup(project: TestProject): Promise<void> {
  server = await startPostgresServer();
  project.provide("postgresUrl", server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}
