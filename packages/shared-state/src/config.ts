/**
 * The read-only view of the airflow.cfg-style configuration that the sdk hands to backends and
 * stores. `@flowstate/sdk`'s `loadConfig` implements it; tests may pass any object of this shape.
 */
export interface ConfigReader {
  /** The value of `[section] key`, after environment overrides; `fallback` (else throws) when unset. */
  get(section: string, key: string, options?: { fallback?: string }): string;
  /** Like `get`, parsed as an integer. Throws `ConfigError` when it is not one. */
  getInt(section: string, key: string, options?: { fallback?: number }): number;
  /** Like `get`, parsed as Airflow parses booleans (True/False/true/1/0/t/f). Throws `ConfigError` otherwise. */
  getBoolean(section: string, key: string, options?: { fallback?: boolean }): boolean;
  /** Whether `[section] key` is set anywhere (file, environment or built-in default). */
  has(section: string, key: string): boolean;
  /** Every key of a section, after environment overrides; `{}` when the section is absent. */
  getSection(section: string): Record<string, string>;
  /** The folder of the config file that was read, else the working directory. Plugins resolve from here. */
  readonly baseDir: string;
  /** The config file that was read, if any. */
  readonly file: string | undefined;
}
