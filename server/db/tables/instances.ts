/** Table types of migration 0016-instances (see schema.ts for the portability rules). */

/** One running (or once running) kinko process: its peers' address for it and its heartbeat. */
export interface KinkoInstancesTable {
  id: string;
  /** Where the other instances reach this one (KINKO_INSTANCE_URL); null when not configured. */
  url: string | null;
  started_at: string;
  /** Refreshed every few seconds while the process runs. */
  seen_at: string;
  /** Set by a clean shutdown: the process is gone, whatever seen_at says. */
  stopped_at: string | null;
}

export interface InstanceTables {
  kinko_instances: KinkoInstancesTable;
}
