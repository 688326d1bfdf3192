// The mapping under construction (Draft), refusals, and parsing of native type arguments: what every
// direction builds its answer with.
import type { ProbeKind } from '../engine';
import type { ColumnModel } from '../model';
import type { MappedType, MappingRisk, ProbeDecision, RefusedType } from './types';

export class Draft {
  targetType = '';
  checks: string[] = [];
  notes: string[] = [];
  lossyReasons: string[] = [];
  reverseReasons: string[] = [];
  probes: ProbeKind[] = [];
  decisions: ProbeDecision[] = [];
  risks: MappingRisk[] = [];
  generated: MappedType['generated'] = null;
  autoIncrement: MappedType['autoIncrement'] = null;
  enumType: MappedType['enumType'] = null;

  constructor(readonly column: ColumnModel) {}

  type(t: string): this {
    this.targetType = t;
    return this;
  }
  check(...c: string[]): this {
    this.checks.push(...c);
    return this;
  }
  note(n: string): this {
    this.notes.push(n);
    return this;
  }
  lossy(reason: string): this {
    this.lossyReasons.push(reason);
    this.notes.push(reason);
    return this;
  }
  reverse(reason: string): this {
    this.reverseReasons.push(reason);
    this.notes.push(reason);
    return this;
  }
  probe(decision: ProbeDecision): this {
    // Generated values are recomputed on the target, never copied: nothing to probe.
    if (this.column.generated) return this;
    if (!this.probes.includes(decision.kind)) {
      this.probes.push(decision.kind);
      this.decisions.push(decision);
    }
    return this;
  }
  risk(r: MappingRisk): this {
    this.risks.push(r);
    return this;
  }
  done(): MappedType {
    const m: MappedType = {
      refused: false,
      targetType: this.targetType,
      checks: this.checks,
      lossy: this.lossyReasons.length > 0,
      reverseLossless: this.reverseReasons.length === 0,
      notes: this.notes,
      lossyReasons: this.lossyReasons,
      reverseReasons: this.reverseReasons,
      probes: this.probes,
      risks: this.risks,
      generated: this.generated,
      autoIncrement: this.autoIncrement,
      enumType: this.enumType,
    };
    if (this.decisions.length) m.decideWithProbes = this.decisions;
    return m;
  }
}

export function refuse(column: ColumnModel, why: string): RefusedType {
  return {
    refused: true,
    column: column.name,
    sourceType: column.nativeType,
    reason: `column ${column.name} (${column.nativeType}) cannot be migrated: ${why}`,
  };
}

/** Numbers inside the first parentheses of a native type: "decimal(10,2) unsigned" -> [10, 2]. */
export function typeArgs(nativeType: string): number[] {
  const m = /\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)/.exec(nativeType);
  if (!m) return [];
  return m[2] === undefined ? [Number(m[1])] : [Number(m[1]), Number(m[2])];
}
