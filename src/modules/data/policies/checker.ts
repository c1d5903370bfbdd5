import type { Problem } from '../../../errors.ts';
import type { ConnectionService } from '../connections/service.ts';
import { type Connection, dialectOf } from '../connections/types.ts';
import type { DiscoveredTable } from '../engines/types.ts';
import { loadGate } from '../gate.ts';

const MAX_POLICY_LENGTH = 10_000;

/**
 * Save-time validation of a row policy (docs/data-access.md "Row policies"): the gate parses it in the connection's
 * dialect and checks it calls only the compat functions; when the connection is reachable, the
 * table's discovered columns are checked too.
 */
export class PolicyChecker {
  readonly #connections: ConnectionService;

  constructor(connections: ConnectionService) {
    this.#connections = connections;
  }

  async problems(
    connection: Connection,
    table: { schema: string; name: string },
    policy: string,
    discovered?: readonly DiscoveredTable[] | null,
  ): Promise<Problem[]> {
    if (policy.trim().length === 0 || policy.length > MAX_POLICY_LENGTH) {
      return [
        { code: 'BAD_USER_INPUT', field: 'policy', message: `must be 1 to ${MAX_POLICY_LENGTH} characters` },
      ];
    }
    const tables = discovered === undefined ? await this.#connections.tryDiscover(connection) : discovered;
    const columns =
      tables?.find((t) => t.schema === table.schema && t.name === table.name)?.columns.map((c) => c.name) ??
      null;
    const { validatePolicy } = await loadGate();
    const problems = await validatePolicy(dialectOf(connection.engine), policy, columns, table);
    return problems.map((p) => ({
      ...p,
      field: p.field ? (p.field.startsWith('policy') ? p.field : `policy.${p.field}`) : 'policy',
    }));
  }
}
