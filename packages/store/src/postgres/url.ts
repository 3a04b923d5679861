import { ConfigError } from "@flowstate/shared-state";

/** The URL schemes that select PostgreSQL, SQLAlchemy driver spellings included. */
export const POSTGRES_SCHEMES = [
  "postgresql",
  "postgres",
  "postgresql+psycopg2",
  "postgresql+psycopg",
] as const;

/** Whether `scheme` (lower case) names PostgreSQL. */
export function isPostgresScheme(scheme: string): boolean {
  return (POSTGRES_SCHEMES as readonly string[]).includes(scheme);
}

/** A PostgreSQL URL split into what the driver needs and what messages may show. */
export interface PostgresUrl {
  /** `postgresql://…` with the driver suffix removed, for `pg`. Holds the password: never show it. */
  connectionString: string;
  /** `postgresql://host:port/database`: no user, password or query. */
  location: string;
}

/**
 * Reads a PostgreSQL URL in any spelling Airflow operators paste (`postgresql://`,
 * `postgres://`, `postgresql+psycopg2://`, `postgresql+psycopg://`). Query parameters the
 * driver understands (`sslmode`, `application_name`, `options`…) pass through.
 * @throws `ConfigError` (never echoing the URL) when it is not one.
 */
export function parsePostgresUrl(
  url: string,
  what: string,
  configKey?: { section: string; key: string },
): PostgresUrl {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(typeof url === "string" ? url.trim() : "");
  const scheme = (match?.[1] ?? "").toLowerCase();
  if (!match || !isPostgresScheme(scheme)) {
    throw new ConfigError(
      `${what} is not a PostgreSQL URL. Expected postgresql://user:password@host:5432/database ` +
        `(also accepted: ${POSTGRES_SCHEMES.map((s) => `${s}://`).join(", ")}).`,
      configKey,
    );
  }
  const connectionString = `postgresql://${match[2] ?? ""}`;
  let parsed: URL;
  try {
    parsed = new URL(connectionString);
  } catch {
    throw new ConfigError(
      `${what} is a PostgreSQL URL that cannot be parsed. Percent-encode special characters in the user and password (e.g. @ as %40).`,
      configKey,
    );
  }
  const database = parsed.pathname.replace(/^\//, "");
  const location = `postgresql://${parsed.host}${database === "" ? "" : `/${database}`}`;
  return { connectionString, location };
}
