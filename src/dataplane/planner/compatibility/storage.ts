// Storage: non-transactional engines, partitioning and SQL_ASCII databases, with the table's size.
import type { EngineKind, SchemaModel, TableModel } from '../../../engines/model';
import type { Finding } from '../../../spec/plan-report';

export function rowsText(table: TableModel): string {
  const rows = table.exactRows ?? table.rowEstimate;
  return rows >= 0 ? `${rows} rows` : 'unknown row count';
}

const NON_TRANSACTIONAL = new Set([
  'memory',
  'heap',
  'aria',
  'csv',
  'archive',
  'mrg_myisam',
  'merge',
  'blackhole',
]);

export function storageFindings(
  from: EngineKind,
  to: EngineKind,
  table: TableModel,
  where: string,
  sourceSchema: SchemaModel,
): Finding[] {
  const out: Finding[] = [];
  const engine = table.storageEngine?.toLowerCase() ?? null;
  const size = `${rowsText(table)}, ${Math.round(table.dataBytes / 1048576)} MiB`;
  if (engine === 'myisam') {
    out.push({
      severity: 'high',
      code: 'MYISAM_TABLE',
      table: table.name,
      finding: `${where} (${size}) uses the non-transactional MyISAM engine: there is no consistent snapshot to copy from, and a crash can leave a write half-applied with its capture row missing`,
      mitigation:
        'convert it on the source first (ALTER TABLE ... ENGINE=InnoDB, online with pt-online-schema-change or gh-ost for big tables), or move it in a maintenance window with writes stopped',
    });
  } else if (engine && NON_TRANSACTIONAL.has(engine)) {
    out.push({
      severity: 'high',
      code: 'NON_TRANSACTIONAL_TABLE',
      table: table.name,
      finding: `${where} (${size}) uses the ${table.storageEngine} engine, which is not transactional${engine === 'memory' || engine === 'heap' ? ' and loses its rows on restart' : ''}${engine === 'blackhole' ? ' and stores nothing' : ''}: no consistent snapshot, capture not atomic with writes`,
      mitigation: 'convert it to InnoDB on the source first, or move it with writes stopped',
    });
  }
  if (table.partitioned) {
    out.push({
      severity: 'medium',
      code: 'PARTITIONED_TABLE',
      table: table.name,
      finding:
        from === to
          ? `${where} is partitioned: the partitions (bounds, sub-partitions, their indexes) must exist on the target before the copy`
          : `${where} is partitioned on ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'}: ${from === 'mysql' ? 'MySQL' : 'PostgreSQL'} partitioning does not translate, so it is created as a plain table on ${to === 'mysql' ? 'MySQL' : 'PostgreSQL'}`,
      mitigation:
        to === 'postgres'
          ? 'if it should stay partitioned, create it with declarative partitioning (PARTITION BY RANGE/LIST/HASH; the partition key must be part of the primary key) before the copy'
          : 'if it should stay partitioned, create it by hand before the copy (MySQL requires the partition key in every unique key)',
    });
  }
  if (
    sourceSchema.engine === 'postgres' &&
    (sourceSchema.charset ?? '').toUpperCase() === 'SQL_ASCII' &&
    table.columns.some((c) => /^(text|character|character varying|json)$/.test(c.dataType))
  ) {
    out.push({
      severity: 'high',
      code: 'CHARSET_NOT_UTF8',
      table: table.name,
      finding: `${where} lives in a SQL_ASCII database: PostgreSQL never validated its text, so bytes that are not valid UTF-8 fail to load into a UTF-8 target`,
      mitigation:
        "find invalid rows on the source (convert_from(convert_to(col, 'SQL_ASCII'), 'UTF8') fails on them) and fix them before the copy",
    });
  }
  return out;
}
