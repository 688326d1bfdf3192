// Resolves PostgreSQL column types to the engine-neutral description of the model: domains to their
// base type, arrays to their element type, enums to their labels, typmods to length/precision/scale.
import type { ClientBase } from 'pg';
import { catalogTypes } from './result-types';

interface PgType {
  oid: number;
  /** format_type(oid, NULL): "integer", "character varying", "timestamp with time zone", ... */
  formatted: string;
  typname: string;
  /** b base, c composite, d domain, e enum, p pseudo, r range, m multirange */
  typtype: string;
  category: string;
  elem: number;
  base: number;
  baseTypmod: number;
  builtin: boolean;
  enumValues: string[] | null;
}

export interface ResolvedType {
  /** Lower-case base type name; "array" for arrays; the enum's own name for enums. */
  dataType: string;
  arrayOf: string | null;
  enumValues: string[] | null;
  /** The typmod that applies after domain resolution (-1 when none). */
  typmod: number;
  /** pg_type.typcategory of the resolved base type (N numeric, S string, D datetime, T timespan, ...). */
  category: string;
  isJson: boolean;
}

export class TypeCatalog {
  private readonly types = new Map<number, PgType>();

  constructor(private readonly client: ClientBase) {}

  /** Load every type reachable from these oids (domain bases, array elements), a few rounds at most. */
  async load(oids: Iterable<number>): Promise<void> {
    let missing = [...new Set(oids)].filter((o) => o && !this.types.has(o));
    while (missing.length) {
      const { rows } = await this.client.query<{
        oid: number;
        formatted: string;
        typname: string;
        typtype: string;
        typcategory: string;
        typelem: number;
        typbasetype: number;
        typtypmod: number;
        builtin: boolean;
        labels: string[] | null;
      }>({
        text: `SELECT t.oid, format_type(t.oid, NULL) AS formatted, t.typname::text AS typname,
                      t.typtype::text AS typtype, t.typcategory::text AS typcategory, t.typelem,
                      t.typbasetype, t.typtypmod, n.nspname = 'pg_catalog' AS builtin,
                      CASE WHEN t.typtype = 'e' THEN
                        ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
                      END AS labels
                 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE t.oid = ANY($1::oid[])`,
        values: [missing],
        types: catalogTypes,
      });
      const next: number[] = [];
      for (const r of rows) {
        this.types.set(r.oid, {
          oid: r.oid,
          formatted: r.formatted,
          typname: r.typname,
          typtype: r.typtype,
          category: r.typcategory,
          elem: r.typelem,
          base: r.typbasetype,
          baseTypmod: r.typtypmod,
          builtin: r.builtin,
          enumValues: r.labels,
        });
        for (const o of [r.typelem, r.typbasetype]) if (o && !this.types.has(o)) next.push(o);
      }
      // A type oid that vanished (concurrent DROP TYPE) must not loop forever.
      for (const o of missing) if (!this.types.has(o)) throw new Error(`type oid ${o} no longer exists`);
      missing = [...new Set(next)];
    }
  }

  resolve(oid: number, typmod: number): ResolvedType {
    let t = this.get(oid);
    let mod = typmod;
    for (let depth = 0; t.typtype === 'd'; depth++) {
      if (depth > 32) throw new Error(`domain nesting too deep for type ${t.typname}`);
      if (mod < 0) mod = t.baseTypmod;
      t = this.get(t.base);
    }
    // typcategory 'A' with an element type is a true array (int2vector/oidvector also qualify, and
    // behave as arrays of their element).
    if (t.category === 'A' && t.elem) {
      const element = this.resolve(t.elem, -1);
      return {
        dataType: 'array',
        arrayOf: element.dataType,
        enumValues: element.enumValues,
        typmod: mod,
        category: 'A',
        isJson: false,
      };
    }
    if (t.typtype === 'e') {
      return {
        dataType: t.typname,
        arrayOf: null,
        enumValues: t.enumValues,
        typmod: mod,
        category: t.category,
        isJson: false,
      };
    }
    // Built-in types print lower-case already; user-defined ones keep their exact (case-sensitive) name.
    const dataType = t.builtin ? t.formatted : t.typname;
    return {
      dataType,
      arrayOf: null,
      enumValues: null,
      typmod: mod,
      category: t.category,
      isJson: dataType === 'json' || dataType === 'jsonb',
    };
  }

  private get(oid: number): PgType {
    const t = this.types.get(oid);
    if (!t) throw new Error(`type oid ${oid} was not loaded`);
    return t;
  }
}

/** Length, precision and scale encoded in a typmod, as the model describes them. */
export function typmodFacts(
  dataType: string,
  typmod: number,
): { length: number | null; precision: number | null; scale: number | null } {
  const none = { length: null, precision: null, scale: null };
  switch (dataType) {
    case 'character':
    case 'character varying':
      // VARHDRSZ (4) is added to the declared length.
      return typmod >= 4 ? { ...none, length: typmod - 4 } : none;
    case 'bit':
    case 'bit varying':
      return typmod >= 0 ? { ...none, length: typmod } : none;
    case 'numeric': {
      if (typmod < 4) return none;
      const packed = typmod - 4;
      // Scale is an 11-bit signed field since PostgreSQL 15 (negative scales are allowed).
      const scale = ((packed & 0x7ff) ^ 1024) - 1024;
      return { ...none, precision: (packed >> 16) & 0xffff, scale };
    }
    case 'timestamp without time zone':
    case 'timestamp with time zone':
    case 'time without time zone':
    case 'time with time zone':
      // No typmod means the full microsecond precision.
      return { ...none, scale: typmod >= 0 ? typmod : 6 };
    case 'interval': {
      // The low 16 bits carry the fractional precision; 0xFFFF means "not specified" (microseconds).
      const p = typmod >= 0 ? typmod & 0xffff : 0xffff;
      return { ...none, scale: p === 0xffff ? 6 : p };
    }
    default:
      return none;
  }
}
