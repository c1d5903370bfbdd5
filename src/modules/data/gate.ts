type Gate = typeof import('../query-gate/index.ts');

let loading: Promise<Gate> | undefined;

/**
 * The query gate, loaded on first use (the first query or policy check), not at start: its SQL
 * parsers bring large grammars and a WASM module that a server which never runs a query should not
 * hold in memory. The promise is kept: `import()` of a loaded module still resolves the specifier
 * and walks the module map on every call, which showed in runQuery's profile. A failed load is not
 * kept, so the next query tries again.
 */
export const loadGate = (): Promise<Gate> => {
  loading ??= import('../query-gate/index.ts').catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
};
