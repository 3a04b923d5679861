/** What to do about a PostgreSQL error (by SQLSTATE) or a connection error (by Node's code). */
const ADVICE: Readonly<Record<string, string>> = {
  "28P01":
    "The server refused the password. Check the user and password in [database] sql_alchemy_conn (or the url option).",
  "28000":
    "The server refused the connection for this user (pg_hba.conf). Check the user in the URL and the server's pg_hba.conf.",
  "3D000": "The database does not exist. Create it (CREATE DATABASE) or fix the database name in the URL.",
  "57P01":
    "The server shut the connection down (restart or administrator command). Retry once it is back up.",
  "57P02": "The server crashed and closed the connection. Retry once it is back up.",
  "57P03": "The server is starting up or shutting down. Retry in a moment.",
  "57014":
    "The statement ran longer than the statement timeout and was cancelled. Retry, raise statementTimeoutMs ([database] statement_timeout_ms), or look for a lock held by another session.",
  "40001": "The transaction conflicted with a concurrent one (serialization failure). Retry.",
  "40P01": "The transaction deadlocked with a concurrent one and was rolled back. Retry.",
  "53300":
    "The server has no connection slots left (too many connections). Lower the pool size ([database] sql_alchemy_pool_size), raise max_connections, or put PgBouncer in front.",
  "53100": "The server's disk is full. Free space and retry.",
  "42501":
    "The user lacks a privilege flowstate needs (e.g. CREATE on the schema). Grant it or use another user.",
  "25006": "The server is read-only (a standby?). Point the URL at the primary.",
  ECONNREFUSED:
    "Nothing accepts connections at that host and port. Check that PostgreSQL is running and the URL's host and port.",
  ENOTFOUND: "The host name does not resolve. Check the host in the URL.",
  EAI_AGAIN: "The host name could not be resolved right now. Check DNS and the host in the URL.",
  ETIMEDOUT: "The connection timed out. Check the host, port and any firewall between here and the server.",
  ECONNRESET: "The connection was reset. Retry; check the server's log if it persists.",
};

/** A sentence saying what to do about `error`, when it is a PostgreSQL or connection error we recognise. */
export function postgresAdvice(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && Object.hasOwn(ADVICE, code)) return ADVICE[code];
  const message = error instanceof Error ? error.message : "";
  if (
    /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(message)
  ) {
    return "No connection could be made within the connect timeout. Check that PostgreSQL is running and reachable, or that the pool is not exhausted.";
  }
  if (/Connection terminated/i.test(message)) {
    return "The server closed the connection (stopped or restarted?). Retry once it is back up.";
  }
  return undefined;
}
