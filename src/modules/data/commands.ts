import { flag, jsonOption, UsageError, workspaceOption } from '../../cli/args.ts';
import type { CliCommand } from '../../cli/commands.ts';
import type { DataAccess } from './access.ts';
import { setUpDemo } from './demo.ts';

/** `tessera policy lint`: lists tables without a row policy; exit 1 when there are any. */
export function policyCommand(data: () => DataAccess): CliCommand {
  const command: CliCommand = {
    name: 'policy',
    summary: 'Row policies: `policy lint` lists domain tables without one (exit 1 if any).',
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
        const report = (await data().policies.lint(workspaceId)).filter((r) => !only || r.domain.id === only);
        if (only && report.length === 0) throw new UsageError(`Domain not found: ${only}`);
        const unprotected = report.flatMap((r) =>
          r.unprotected.map((t) => ({
            domainId: r.domain.id,
            domain: r.domain.name,
            schema: t.schema,
            table: t.name,
          })),
        );
        if (args.flags.has('json')) env.io.out(JSON.stringify({ unprotected }));
        else if (unprotected.length === 0)
          env.io.out(`Every table of ${report.length} domain(s) has a row policy.`);
        else {
          env.io.out(`Tables without a row policy (readable in full unless requireRowPolicies is set):`);
          for (const t of unprotected) env.io.out(`  ${t.domainId}  ${t.domain}  ${t.schema}.${t.table}`);
        }
        return unprotected.length === 0 ? 0 : 1;
      } finally {
        await app.close();
      }
    },
  };
  return command;
}

/** `tessera demo`: loads the multi-tenant demo warehouse and prints what to run next. */
export function demoCommand(data: () => DataAccess): CliCommand {
  return {
    name: 'demo',
    summary: 'Load a three-tenant demo warehouse, a domain with row policies and three users (idempotent).',
    usage: 'tessera demo [--workspace ID] [--json]',
    options: [workspaceOption, jsonOption],
    async run(args, env) {
      const app = await env.openApp();
      try {
        const workspaceId = flag(args, 'workspace') ?? (await app.services.workspaces.ensureDefault()).id;
        if (!(await app.services.workspaces.find(workspaceId)))
          throw new UsageError(`Workspace not found: ${workspaceId}`);
        const demo = await setUpDemo(app, data(), workspaceId);
        if (args.flags.has('json')) {
          env.io.out(JSON.stringify(demo));
          return 0;
        }
        env.io.out(
          [
            `Demo loaded in workspace ${demo.workspaceId}.`,
            `  connection ${demo.connectionId} (pglite warehouse "demo": orders, customers, regions)`,
            `  domain     ${demo.domainId} (row policies on tenant_id and regions)`,
            ...demo.users.map(
              (u) =>
                `  user       ${u.email.padEnd(24)} tenant_id=${u.tenant} regions=${JSON.stringify(u.regions)}`,
            ),
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
