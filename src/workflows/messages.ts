// Signals, updates and queries of cutover's workflows, in one workflow-safe module shared with the
// CLI (the client side imports the same definitions).
import { defineQuery } from '@temporalio/workflow';

export type PlanPhase = 'validating' | 'inspecting' | 'analyzing' | 'sampling' | 'assembling' | 'done';

export interface PlanStatus {
  phase: PlanPhase;
  /** What the current phase is doing, in a few words. */
  detail: string;
}

export const planStatusQuery = defineQuery<PlanStatus>('planStatus');
