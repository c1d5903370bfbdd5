/**
 * The query gate, loaded on first use (the first query or policy check), not at start: its SQL
 * parsers bring large grammars and a WASM module that a server which never runs a query should not
 * hold in memory. Import caching makes every later call a resolved promise.
 */
export const loadGate = (): Promise<typeof import('../query-gate/index.ts')> =>
  import('../query-gate/index.ts');
