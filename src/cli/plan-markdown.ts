// The plan as a readable Markdown report: what moves, what is risky, how long it takes, how to go
// forward and how to come back. Everything shown comes from the JSON report.
import type { PlanReport } from '../spec/plan-report';

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const num = (n: number) => n.toLocaleString('en-US');

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function duration(s: number | null): string {
  if (s === null) return 'unknown';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function renderPlanMarkdown(r: PlanReport): string {
  const out: string[] = [];
  const verdictLine = {
    online: 'online',
    'near-zero': 'near-zero downtime',
    'maintenance-window': 'maintenance window',
  }[r.verdict.downtime];
  out.push(`# Migration plan: ${r.migration}`);
  out.push(
    `${r.source.engine} \`${r.source.connection}\` (${r.source.schema}, ${r.live.source.serverVersion}) -> ${r.target.engine} \`${r.target.connection}\` (${r.target.schema}, ${r.live.target.serverVersion}), generated ${r.generatedAt}`,
  );
  out.push(`## Verdict: ${verdictLine}`);
  out.push(r.verdict.reasons.map((x) => `- ${x}`).join('\n'));
  if (!r.verdict.canStartOnline)
    out.push(
      '**An online move cannot start until the blocking findings are resolved or accepted by name (`acceptRisks`).**',
    );

  const e = r.estimates;
  out.push('## Estimates');
  out.push(
    table(
      ['rows', 'data', 'copy', 'validation', 'catch-up', 'cutover write pause'],
      [
        [
          num(e.totalRows),
          bytes(e.totalBytes),
          duration(e.copySeconds),
          duration(e.validationSeconds),
          duration(e.catchUpSeconds),
          duration(e.cutoverDowntimeSeconds),
        ],
      ],
    ),
  );
  out.push(e.basis.map((b) => `- ${b}`).join('\n'));
  if (r.sample) {
    const s = r.sample;
    out.push(
      `Measured sample: ${num(s.rows)} rows (${bytes(s.bytes)}) from ${s.tables.map((t) => t.table).join(', ')}: copy ${num(Math.round(s.copyRowsPerSecond))} rows/s (${bytes(s.copyBytesPerSecond)}/s), keyed apply ${num(Math.round(s.applyRowsPerSecond))} rows/s, scan ${num(Math.round(s.scanRowsPerSecond))} rows/s.`,
    );
    if (s.notes.length) out.push(s.notes.map((n) => `- ${n}`).join('\n'));
  }

  out.push(`## Risk register (${r.risks.length})`);
  out.push(
    table(
      ['severity', 'code', 'where', 'finding', 'mitigation'],
      r.risks.map((f) => [
        f.severity,
        f.code,
        f.table ? `${f.table}${f.column ? `.${f.column}` : ''}` : '',
        f.finding,
        f.mitigation,
      ]),
    ),
  );

  out.push('## Volume');
  out.push(
    table(
      ['table', 'rows', 'data', 'indexes', 'writes/s'],
      r.volume.map((v) => [
        v.table,
        v.exactRows !== null ? num(v.exactRows) : v.rowEstimate < 0 ? 'unknown' : `~${num(v.rowEstimate)}`,
        bytes(v.dataBytes),
        bytes(v.indexBytes),
        v.writesPerSecond === null ? 'n/a' : v.writesPerSecond.toFixed(1),
      ]),
    ),
  );

  out.push('## Dependencies');
  out.push(`Copy and validation order: ${r.dependencies.copyOrder.join(' -> ')}`);
  if (r.dependencies.cycles.length)
    out.push(`Cycles: ${r.dependencies.cycles.map((c) => c.join(' <-> ')).join('; ')}`);
  if (r.dependencies.selfReferences.length)
    out.push(`Self-referencing: ${r.dependencies.selfReferences.join(', ')}`);
  if (r.manualItems.length) {
    out.push('### To port by hand');
    out.push(
      table(
        ['kind', 'name', 'note'],
        r.manualItems.map((m) => [m.kind, m.name, m.note]),
      ),
    );
  }

  out.push('## Column mapping');
  for (const t of r.tables) {
    out.push(`### ${t.table}${t.primaryKey ? ` (key: ${t.primaryKey.join(', ')})` : ' (no primary key)'}`);
    out.push(
      table(
        ['column', 'source', 'target', 'lossy', 'reverse ok', 'notes'],
        t.columns.map((c) => [
          c.column,
          c.sourceType,
          c.targetType,
          c.lossy ? 'yes' : '',
          c.reverseLossless ? 'yes' : 'NO',
          c.notes.join('; '),
        ]),
      ),
    );
  }

  out.push('## Live state');
  for (const [side, s] of [
    ['source', r.live.source],
    ['target', r.live.target],
  ] as const) {
    out.push(
      `- ${side}: ${s.serverVersion}, ${s.activeConnections}${s.maxConnections ? `/${s.maxConnections}` : ''} connections, ${s.longTransactions.length} long transaction(s), ${s.replica ? `replica (lag ${s.replica.lagSeconds ?? '?'} s)` : 'not a replica'}, ${s.readOnly ? 'read-only' : 'writable'}, ${s.writesPerSecond.toFixed(1)} writes/s, round trip ${s.roundTripMs.toFixed(2)} ms`,
    );
    const missing = s.privileges.filter((p) => !p.granted).map((p) => p.capability);
    out.push(
      `  - privileges: ${missing.length ? `missing: ${missing.join('; ')}` : 'all needed privileges granted'}`,
    );
    out.push(
      `  - settings: ${Object.entries(s.settings)
        .map(([k, v]) => `${k}=${v ?? 'n/a'}`)
        .join(', ')}`,
    );
  }

  out.push('## Forward path');
  out.push(r.forwardPath.map((s, i) => `${i + 1}. ${s}`).join('\n'));
  out.push('## Backward path (rollback)');
  out.push(r.backwardPath.map((s, i) => `${i + 1}. ${s}`).join('\n'));
  return `${out.join('\n\n')}\n`;
}
