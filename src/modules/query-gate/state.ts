import { queryRefused } from './errors.ts';
import type { QueryParameterSlot } from './parameters.ts';
import type { AppliedPolicy, GateTable, MaskedColumn, RewrittenQuery, TableName } from './types.ts';

/** What one rewrite collects: bound parameters, tables read, policies applied, attributes used. */
export class GateState {
  readonly params: unknown[] = [];
  private readonly tables: TableName[] = [];
  private readonly policies: AppliedPolicy[] = [];
  private readonly attributes = new Set<string>();
  private readonly querySlots: QueryParameterSlot[] = [];
  private readonly masked: MaskedColumn[] = [];

  /** Adds a bound parameter and returns its 1-based position. */
  addParam(value: unknown): number {
    checkParamCount(this.params.length + 1);
    this.params.push(value);
    return this.params.length;
  }

  /** Adds the bound value of a `{{name}}` (or of one element of a list) and returns its position. */
  addQueryParam(value: unknown, name: string, element: number | null): number {
    const position = this.addParam(value);
    this.querySlots.push({ index: position - 1, name, element });
    return position;
  }

  /** Records query-parameter slots found by an output check (MySQL assembles its parameters there). */
  noteQuerySlots(slots: readonly QueryParameterSlot[]): void {
    this.querySlots.push(...slots);
  }

  addTable(table: GateTable): void {
    if (!this.tables.some((t) => t.schema === table.schema && t.name === table.name)) {
      this.tables.push({ schema: table.schema, name: table.name });
    }
  }

  addPolicy(table: GateTable, policy: string): void {
    if (!this.policies.some((p) => p.schema === table.schema && p.name === table.name)) {
      this.policies.push({ schema: table.schema, name: table.name, policy });
    }
  }

  addMasks(table: GateTable): void {
    if (this.masked.some((m) => m.schema === table.schema && m.name === table.name)) return;
    for (const c of table.columnPolicies ?? []) {
      this.masked.push({
        schema: table.schema,
        name: table.name,
        column: c.column,
        mask: c.mask,
        condition: c.condition,
      });
    }
  }

  tablesRead(): readonly TableName[] {
    return this.tables;
  }

  useAttribute(key: string): void {
    this.attributes.add(key);
  }

  result(sql: string): RewrittenQuery {
    return {
      sql,
      params: [...this.params],
      tables: [...this.tables],
      policies: [...this.policies],
      attributesUsed: [...this.attributes].sort(),
      ...(this.masked.length > 0 ? { maskedColumns: [...this.masked] } : {}),
      ...(this.querySlots.length > 0 ? { queryParameters: [...this.querySlots] } : {}),
    };
  }
}

/** Both wire protocols number parameters in 16 bits; refuse before the driver fails mid-query. */
export const MAX_PARAMS = 65_535;

export function checkParamCount(count: number): void {
  if (count > MAX_PARAMS) {
    throw queryRefused(
      `The row policies need more than ${MAX_PARAMS} parameters for this query (long attribute lists?)`,
    );
  }
}
