import { type CliCommand, flag, jsonOption, UsageError, workspaceOption } from '../../kernel/command.ts';
import type { DataAccess } from './access.ts';
import { setUpDemo } from './demo.ts';

/**
 * `tessera policy lint`: lists tables without a row policy and what each bound connection's
 * credentials may do beyond reading its domains' tables (`checkConnection`); exit 1 when there
 * is either. A set of credentials that could not be checked is listed, without failing the lint.
 */
export function policyCommand(): CliCommand {
  const command: CliCommand = {
    name: 'policy',
    summary:
      'Row policies: `policy lint` lists domain tables without one and over-privileged connections (exit 1 if any).',
    usage: 'tessera policy lint [--workspace ID] [--domain ID] [--json]',
    subcommands: [
      {
        name: 'lint',
        summary: 'List domain tables without a row policy; exit code 1 when there is any.',
        options: [
          workspaceOption,
          { name: 'domain', type: 'string', value: 'ID', description: 'only this domain' },
          jsonOption,
        ],
      },
    ],
    async run(args, env) {
      if (args.positional[0] !== 'lint') throw new UsageError(command.usage);
      const app = await env.openApp();
      try {
        const workspaceId = flag(args, 'workspace') ?? (await app.services.workspaces.ensureDefault()).id;
        if (!(await app.services.workspaces.find(workspaceId)))
          throw new UsageError(`Workspace not found: ${workspaceId}`);
        const only = flag(args, 'domain');
        const all = await app.services.data.policies.lint(workspaceId);
        const report = all.filter((r) => !only || r.domain.id === only);
        if (only && report.length === 0) throw new UsageError(`Domain not found: ${only}`);
        const unprotected = report.flatMap((r) =>
          r.unprotected.map((t) => ({
            domainId: r.domain.id,
            domain: r.domain.name,
            schema: t.schema,
            table: t.name,
          })),
        );
        const privileges = await privilegeReport(app.services.data, workspaceId, all, report);
        const findings = privileges.flatMap((c) => c.findings);
        if (args.flags.has('json')) env.io.out(JSON.stringify({ unprotected, privileges }));
        else {
          if (unprotected.length === 0)
            env.io.out(`Every table of ${report.length} domain(s) has a row policy.`);
          else {
            env.io.out(`Tables without a row policy (readable in full unless requireRowPolicies is set):`);
            for (const t of unprotected) env.io.out(`  ${t.domainId}  ${t.domain}  ${t.schema}.${t.table}`);
          }
          for (const c of privileges) {
            const who = `${c.connectionId}${c.mappingIndex === null ? '' : ` mapping ${c.mappingIndex}`}`;
            if (c.errorCode !== null) env.io.out(`Not checked: ${who}: ${c.errorCode} ${c.message ?? ''}`);
            else if (c.findings.length > 0) {
              env.io.out(`Credentials of ${who} (${c.user}) can do more than read the domains' tables:`);
              for (const f of c.findings) env.io.out(`  ${f.kind}  ${f.privilege}  ${f.object}`);
            }
          }
        }
        return unprotected.length === 0 && findings.length === 0 ? 0 : 1;
      } finally {
        await app.close();
      }
    },
  };
  return command;
}

/** The least-privilege check of every connection the reported domains use, against all its domains' tables. */
async function privilegeReport(
  data: DataAccess,
  workspaceId: string,
  all: Awaited<ReturnType<DataAccess['policies']['lint']>>,
  report: typeof all,
) {
  const connectionIds = [
    ...new Set(report.flatMap((r) => (r.domain.connectionId ? [r.domain.connectionId] : []))),
  ];
  const out = [];
  for (const connectionId of connectionIds) {
    const tables = all.filter((r) => r.domain.connectionId === connectionId).flatMap((r) => r.domain.tables);
    for (const check of await data.connections.checkPrivileges(workspaceId, connectionId, tables))
      out.push({ connectionId, ...check });
  }
  return out;
}

/** `tessera demo`: loads the multi-tenant demo warehouse and prints what to run next. */
export function demoCommand(): CliCommand {
  return {
    name: 'demo',
    summary:
      'Load a three-tenant demo warehouse, a domain with row and column policies, three users and a dashboard (idempotent).',
    usage: 'tessera demo [--workspace ID] [--json]',
    options: [workspaceOption, jsonOption],
    async run(args, env) {
      const app = await env.openApp();
      try {
        const workspaceId = flag(args, 'workspace') ?? (await app.services.workspaces.ensureDefault()).id;
        if (!(await app.services.workspaces.find(workspaceId)))
          throw new UsageError(`Workspace not found: ${workspaceId}`);
        const demo = await setUpDemo(app, app.services.data, workspaceId);
        if (args.flags.has('json')) {
          env.io.out(JSON.stringify(demo));
          return 0;
        }
        env.io.out(
          [
            `Demo loaded in workspace ${demo.workspaceId}.`,
            `  connection ${demo.connectionId} (pglite warehouse "demo": orders, customers, regions)`,
            `  domain     ${demo.domainId} (row policies on tenant_id and regions; customers.name masked unless pii=allowed)`,
            ...demo.users.map(
              (u) =>
                `  user       ${u.email.padEnd(24)} tenant_id=${u.tenant} regions=${JSON.stringify(u.regions)} pii=${u.pii}`,
            ),
            `  dashboard  ${demo.dashboardId} ("Sales overview", 6 tiles: /embed/dashboards/${demo.dashboardId})`,
            '',
            'Next: start the server (npm start) and, with an access key in KEY (docs/data-access.md walks through it):',
            `  export DOMAIN=${demo.domainId}`,
            '  ALICE=$(curl -s -X POST "$TESSERA/graphql" -H "Content-Type: application/json" \\',
            `    -d '{"query":"mutation($k: String!) { impersonateUser(accessToken: $k, userEmail: \\"${demo.users[0]!.email}\\") }","variables":{"k":"'"$KEY"'"}}' \\`,
            `    | sed -E 's/.*"impersonateUser":"([^"]+)".*/\\1/')`,
            '  curl -s -X POST "$TESSERA/graphql" -H "Content-Type: application/json" -H "Authorization: Bearer $ALICE" \\',
            `    -d '{"query":"query($d: ID!) { runQuery(domainId: $d, sql: \\"select tenant_id, region, amount from orders order by id\\") { rows } }","variables":{"d":"'"$DOMAIN"'"}}'`,
            `Then the same as ${demo.users[1]!.email}: the same SQL returns other rows.`,
          ].join('\n'),
        );
        return 0;
      } finally {
        await app.close();
      }
    },
  };
}
