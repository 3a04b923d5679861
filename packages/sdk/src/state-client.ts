import { ConfigError, type ConfigReader } from "@flowstate/shared-state";
import { HttpStateClient, type HttpStateClientOptions } from "./http-client.js";

/** Options of {@link stateClientFromConfig}: what the URL alone does not say. */
export type StateClientFromConfigOptions = Partial<Omit<HttpStateClientOptions, "url">>;

/**
 * The worker's {@link HttpStateClient} when `[core] execution_api_server_url` is set, with the
 * task instance's token; `undefined` when it is empty, and the caller uses the store in-process
 * (`store.client()`).
 * @throws ConfigError naming `[core] execution_api_server_url` when the URL is set but no token
 * is given, or the URL is not an http(s) URL.
 */
export function stateClientFromConfig(
  conf: ConfigReader,
  options: StateClientFromConfigOptions = {},
): HttpStateClient | undefined {
  const url = conf.get("core", "execution_api_server_url", { fallback: "" });
  if (url === "") return undefined;
  if (typeof options.token !== "string" || options.token.trim() === "") {
    throw new ConfigError(
      "[core] execution_api_server_url is set, so the worker reaches the state API server over HTTP: give it the task instance's token (issueTaskToken of @flowstate/api-server).",
      { section: "core", key: "execution_api_server_url" },
    );
  }
  return new HttpStateClient({ ...options, url, token: options.token });
}
