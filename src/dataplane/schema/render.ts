// The DDL plan as SQL text for review (the plan report, the CLI): phase by phase, each statement
// after a comment saying what it does, the notes first.
import { DDL_PHASES, type DdlPlan } from './plan';

const PHASE_TITLES = {
  tables: 'tables: types, sequences, tables with primary keys and column CHECKs (before the copy)',
  'post-load': 'post-load: indexes, foreign keys and CHECKs (after the bulk load)',
  finalize: 'finalize: sequences past the copied maximum (after catch-up)',
} as const;

/** One line of comment text: newlines would end the SQL comment early. */
function comment(text: string): string {
  return `-- ${text.replace(/[\r\n]+/g, ' ')}`;
}

export function renderDdl(plan: DdlPlan): string {
  const out: string[] = [
    comment(
      `${plan.from} ${plan.sourceSchema} -> ${plan.to} ${plan.targetSchema}: ${plan.tables.length} table${plan.tables.length === 1 ? '' : 's'}, ${plan.statements.length} statements`,
    ),
  ];
  if (plan.notes.length) {
    out.push(comment('Notes:'));
    for (const n of plan.notes) out.push(comment(`  ${n}`));
  }
  for (const phase of DDL_PHASES) {
    const statements = plan.statements.filter((s) => s.phase === phase);
    out.push('', comment(`=== ${PHASE_TITLES[phase]} ===`));
    if (!statements.length) out.push(comment('(nothing)'));
    for (const s of statements) out.push('', comment(s.description), `${s.sql};`);
  }
  return `${out.join('\n')}\n`;
}
