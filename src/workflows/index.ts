// The workflows the worker registers (bundled for Temporal's deterministic sandbox).
export { planMigration } from './plan';
export { blueGreenMigration } from './blue-green';
