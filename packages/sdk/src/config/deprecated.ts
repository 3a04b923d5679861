/** An option Airflow moved: where it was, where it lives now, and the Airflow version that moved it. */
export interface DeprecatedOption {
  /** Section and key to use now (lower-case). */
  readonly section: string;
  readonly key: string;
  /** Section and key that still work, with a warning (lower-case). */
  readonly oldSection: string;
  readonly oldKey: string;
  /** The Airflow version that moved it, as Airflow's `deprecated_options` records it. */
  readonly since: string;
}

/**
 * The subset of Airflow's `AirflowConfigParser.deprecated_options` that flowstate reads: when the
 * new option is set nowhere (no variable, not in the file), the old one is used and a warning
 * names both, as Airflow 2.3+ does for `[core] sql_alchemy_conn`.
 */
export const DEPRECATED_OPTIONS: readonly DeprecatedOption[] = [
  {
    section: "database",
    key: "sql_alchemy_conn",
    oldSection: "core",
    oldKey: "sql_alchemy_conn",
    since: "2.3.0",
  },
  {
    section: "database",
    key: "sql_alchemy_pool_size",
    oldSection: "core",
    oldKey: "sql_alchemy_pool_size",
    since: "2.3.0",
  },
];
