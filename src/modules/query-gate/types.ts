import type { QueryParameterSlot, QueryParameterValue } from './parameters.ts';
import type { GateUser } from './policy-functions.ts';

// The user a policy is bound for is declared with the policy functions, which read it.
export type { GateUser } from './policy-functions.ts';

/** Public shapes of the query gate (docs/data-access.md "Row policies" and "Enforcement: one gate"). */

export type SqlDialect = 'postgres' | 'mysql';

export interface GateTable {
  /** Postgres schema, or MySQL database. */
  readonly schema: string;
  readonly name: string;
  /** Row policy: a SQL boolean expression in the dialect, compat functions allowed; null = none. */
  readonly policy: string | null;
  /**
   * Column policies (docs/data-access.md "Column policies"): each masks one column unless its
   * condition holds. With any, the wrapper projects `columns` one by one instead of `*`.
   */
  readonly columnPolicies?: readonly GateColumnPolicy[];
  /** Every column of the table, in order, as stored with its column policies. */
  readonly columns?: readonly string[];
}

/** What a masked column shows when its condition does not hold. */
export type ColumnMask = 'NULL' | 'TEXT' | 'HASH' | 'EXPRESSION';

/** The allow-list of mask expressions (docs/data-access.md "Column policies"). */
export const MASK_EXPRESSIONS = ['LAST_4', 'EMAIL_DOMAIN'] as const;
export type MaskExpression = (typeof MASK_EXPRESSIONS)[number];

export interface GateColumnPolicy {
  readonly column: string;
  readonly mask: ColumnMask;
  /** The fixed text of a TEXT mask. */
  readonly maskText: string | null;
  /** The allow-listed expression of an EXPRESSION mask. */
  readonly maskExpression: MaskExpression | null;
  /** When it holds, the column is shown as stored: a row-policy-style condition. */
  readonly condition: string;
}

/** A column the query reads masked (explainAccess). */
export interface MaskedColumn extends TableName {
  readonly column: string;
  readonly mask: ColumnMask;
  readonly condition: string;
}

export interface GateRequest {
  readonly dialect: SqlDialect;
  readonly sql: string;
  /** The domain's tables: the only ones the query may read. */
  readonly tables: readonly GateTable[];
  /** What unqualified table names resolve against. */
  readonly defaultSchema: string;
  readonly user: GateUser;
  /** false = admin bypass (docs/data-access.md "Row policies"). Tables are still checked and schema-qualified. */
  readonly applyPolicies: boolean;
  /**
   * Workspace `requireRowPolicies`: a referenced table without policy → ACCESS_DENIED. Applies
   * when policies apply; an admin bypassing policies reads every table in full anyway.
   */
  readonly requirePolicies: boolean;
  /**
   * Values of the query's `{{name}}` placeholders (docs/query-gate.md "Query parameters"): each use
   * becomes a bound parameter; a name the query does not use is ignored.
   */
  readonly parameters?: Readonly<Record<string, QueryParameterValue>>;
  /**
   * `'always'`: every policy wrapper keeps its `OFFSET 0` fence, plain statement or not
   * (PostgreSQL; docs/query-gate.md, "When the fence is dropped"). The executor asks for it when
   * a table's kind proof failed or the server's version reads columns by running code.
   */
  readonly fence?: 'always';
}

export interface TableName {
  readonly schema: string;
  readonly name: string;
}

export interface FenceProof extends TableName {
  readonly check: string;
}

export interface AppliedPolicy extends TableName {
  readonly policy: string;
}

export interface RewrittenQuery {
  /** Placeholders: `$1…` for postgres, `?` for mysql. */
  readonly sql: string;
  readonly params: readonly unknown[];
  /** Domain tables the query reads, each once, in order of first reference. */
  readonly tables: readonly TableName[];
  /** Policies applied, one entry per table. */
  readonly policies: readonly AppliedPolicy[];
  /** Columns the wrappers mask unless their conditions hold, one entry per column. */
  readonly maskedColumns?: readonly MaskedColumn[];
  /** Attribute keys the policies read (USER_EMAIL() is not an attribute), sorted. */
  readonly attributesUsed: readonly string[];
  /**
   * Each applied policy alone (PostgreSQL: with its own `$1…$k`; MySQL: its wrapper query), for the executor to prepare
   * (never run) before the query, so a policy name can only resolve inside the policy.
   */
  readonly policyChecks?: readonly string[];
  /**
   * The tables whose wrappers run without their fence, each with its kind proof (also one of
   * `policyChecks`): a statement that parses only when the relation is a table, whose column
   * reads run no code (docs/query-gate.md, "When the fence is dropped").
   */
  readonly fenceProofs?: readonly FenceProof[];
  /** The parameters that hold query-parameter values (every other one is a policy's), in order. */
  readonly queryParameters?: readonly QueryParameterSlot[];
}
