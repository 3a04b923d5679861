import type pg from "pg";

/**
 * Runs `work` in one READ COMMITTED transaction (whatever the server's default isolation) on one
 * pooled connection: committed when it returns, rolled back when it throws. A connection whose
 * rollback fails, or that failed without a SQLSTATE (a socket error, a timeout), is dropped from
 * the pool instead of being handed out again.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
    try {
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    }
  } catch (error) {
    broken ??= isConnectionError(error) ? (error as Error) : undefined;
    throw error;
  } finally {
    client.release(broken);
  }
}

// Server errors carry a five-character SQLSTATE; flowstate's own errors carry a FLOWSTATE_ code.
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code !== "string" || !/^(?:[0-9A-Z]{5}|FLOWSTATE_\w+)$/.test(code);
}
