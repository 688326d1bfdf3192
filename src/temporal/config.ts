// Where cutover finds Temporal: TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE) when set, else the embedded
// local dev server. One task queue for all of cutover's workflows and activities.
export const TASK_QUEUE = process.env.CUTOVER_TASK_QUEUE ?? 'cutover';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** True when no cluster is configured and the CLI runs the local dev server and its own worker. */
  embedded: boolean;
}

export function configuredTarget(): TemporalTarget | null {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) return null;
  return { address, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default', embedded: false };
}
