// Same engine (PostgreSQL -> PostgreSQL, MySQL -> MySQL): the native type is kept; notes and risks
// say what the target must provide (collations, types, domains, MariaDB-only types).
import type { ColumnModel } from '../model';
import type { Draft } from './draft';
import { mysqlType } from './mysql-types';
import { PG_BUILTIN_TYPES, pgDomainName } from './postgres-types';

export function postgresToPostgres(c: ColumnModel, d: Draft): void {
  d.type(c.nativeType);
  if (c.collation) {
    d.note(`collation ${c.collation} must exist on the target`);
    d.risk({
      code: 'COLLATION_ON_TARGET',
      severity: 'low',
      finding: `uses collation ${c.collation}: it must exist on the target, and an ICU or glibc version that sorts differently would leave its indexes inconsistent`,
      mitigation:
        'create the collation on the target before the copy and check pg_collation versions match; indexes are built on the target, so they match its library',
    });
  }
  if (c.enumValues) d.note(`enum type ${c.dataType} is created on the target first with the same labels`);
  const domain = pgDomainName(c);
  if (domain) d.note(`domain ${domain} is created on the target first`);
  if (
    !c.enumValues &&
    c.dataType !== 'array' &&
    !PG_BUILTIN_TYPES.has(c.dataType) &&
    !/range$/.test(c.dataType)
  ) {
    d.note(`type ${c.dataType} (user-defined or from an extension) must exist on the target`);
  }
  if (c.generated) {
    d.generated = { expression: c.generated.expression, stored: c.generated.stored, translate: false };
    d.note('generated column: recreated from its expression, values never copied');
  }
  if (c.autoIncrement) {
    d.autoIncrement = c.identity ? 'identity' : 'serial';
    d.note(
      `${c.identity ? `identity (${c.identity})` : 'serial'}: its sequence is set past MAX(column) after the copy`,
    );
  }
}

export function mysqlToMysql(c: ColumnModel, d: Draft): void {
  d.type(c.nativeType);
  if (c.collation && /_0900_|uca1400/i.test(c.collation)) {
    d.note(
      `collation ${c.collation} exists only on ${/_0900_/i.test(c.collation) ? 'MySQL 8 (MariaDB before 11.4 lacks it)' : 'MariaDB 10.10+'}: the target must have it`,
    );
  }
  const t = mysqlType(c);
  if (t === 'uuid' || t === 'inet6' || t === 'inet4')
    d.note(`${t.toUpperCase()} is a MariaDB type: the target must be MariaDB`);
  if (c.isJson && t !== 'json')
    d.note("MariaDB's JSON alias (LONGTEXT + json_valid): the text is copied as is");
  if (c.generated) {
    d.generated = { expression: c.generated.expression, stored: c.generated.stored, translate: false };
    d.note('generated column: recreated from its expression, values never copied');
  }
  if (c.autoIncrement) {
    d.autoIncrement = 'auto_increment';
    d.note('AUTO_INCREMENT: the table counter is set past MAX(column) after the copy');
  }
}
