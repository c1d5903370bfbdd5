import type { AppliedPolicy, GateTable, RewrittenQuery, TableName } from './types.ts';

/** What one rewrite collects: bound parameters, tables read, policies applied, attributes used. */
export class GateState {
  readonly params: unknown[] = [];
  private readonly tables: TableName[] = [];
  private readonly policies: AppliedPolicy[] = [];
  private readonly attributes = new Set<string>();

  /** Adds a bound parameter and returns its 1-based position. */
  addParam(value: unknown): number {
    this.params.push(value);
    return this.params.length;
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
    };
  }
}
