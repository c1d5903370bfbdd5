// createUsers of 1,000 new emails in one call, against a raw multi-row insert of the same rows.
import { newId } from '../src/ids.ts';
import { attributesFor, benchBackends, label, startBenchApp, VIEWER_ROLE } from './core-fixture.ts';
import { printSection, type Row, timeInterleaved } from './measure.ts';

const BATCH = 1000;
const SAMPLES = 7;

const CREATE_USERS = `mutation($input: CreateUsersInput!) {
  createUsers(input: $input) { status { code } results { email userId outcome } }
}`;

const rows: Row[] = [];
for (const backend of benchBackends()) {
  const b = await startBenchApp(backend);
  try {
    let batch = 0;
    // Every call gets fresh emails, so each one creates 1,000 users (the CREATED path).
    const nextInput = () => {
      const n = batch++;
      return {
        emails: Array.from({ length: BATCH }, (_, i) => `Person.${n}.${i}@Write.Bench`),
        roleAssignments: [{ roleId: VIEWER_ROLE, scopes: ['default'] }],
        userAttributes: attributesFor(n),
      };
    };
    const origin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

    const { viaGraphql, viaService, rawInsert } = await timeInterleaved(
      {
        viaGraphql: async () => {
          const data = await b.gql(CREATE_USERS, { input: nextInput() });
          if (data.createUsers.status.code !== 'OK' || data.createUsers.results.length !== BATCH)
            throw new Error(`createUsers failed: ${JSON.stringify(data.createUsers.status)}`);
        },
        viaService: () => b.app.services.users.createUsers(b.workspaceId, nextInput(), origin),
        rawInsert: async () => {
          const input = nextInput();
          const now = new Date();
          const users = input.emails.map((email) => ({
            id: newId('usr'),
            email,
            normalized: email.toLowerCase(),
          }));
          await b.app.services.db.transaction().execute(async (tx) => {
            await b.raw(
              `insert into users (id, workspace_id, email, email_normalized, created_at, updated_at) values ${placeholders(users.length, 6)}`,
              users.flatMap((u) => [u.id, b.workspaceId, u.email, u.normalized, now, now]),
              tx,
            );
            const attrs = users.flatMap((u) =>
              input.userAttributes.map((a) => [
                u.id,
                'DATABASE',
                a.key,
                a.value,
                b.workspaceId,
                u.normalized,
              ]),
            );
            await b.raw(
              `insert into user_attributes (user_id, source, key, value, workspace_id, email_normalized) values ${placeholders(attrs.length, 6)}`,
              attrs.flat(),
              tx,
            );
            await b.raw(
              `insert into user_role_assignments (user_id, position, role_id, scopes) values ${placeholders(users.length, 4)}`,
              users.flatMap((u) => [u.id, 0, VIEWER_ROLE, ['default']]),
              tx,
            );
            // One user.create audit event a user, as Tessera records them.
            await b.raw(
              `insert into audit_events (id, workspace_id, occurred_at, action, outcome, target_type, target_id, details) values ${placeholders(users.length, 8)}`,
              users.flatMap((u) => [
                newId('evt'),
                b.workspaceId,
                now,
                'user.create',
                'SUCCESS',
                'user',
                u.id,
                JSON.stringify({ email: u.email, via: 'createUsers' }),
              ]),
              tx,
            );
          });
        },
      },
      SAMPLES,
    );

    const baselineName = 'raw multi-row insert';
    rows.push(
      {
        figure: label(backend, `createUsers ×${BATCH}, GraphQL in-process, median`),
        tessera: viaGraphql.medianMs,
        baseline: rawInsert.medianMs,
        baselineName,
        unit: 'ms',
      },
      {
        figure: label(backend, `createUsers ×${BATCH}, UserService directly, median`),
        tessera: viaService.medianMs,
        baseline: rawInsert.medianMs,
        baselineName,
        unit: 'ms',
      },
      {
        figure: label(backend, `createUsers ×${BATCH}, GraphQL in-process, p95`),
        tessera: viaGraphql.p95Ms,
        baseline: rawInsert.p95Ms,
        baselineName,
        unit: 'ms',
      },
    );
  } finally {
    await b.close();
  }
}

printSection('Core: createUsers of 1,000 emails in one call', rows, [
  `Each call creates ${BATCH} new users with 5 DATABASE attributes and one VIEWER assignment, in a`,
  `database that grows by ${BATCH} users a call (${SAMPLES} measured calls each after 3 warm-ups, interleaved).`,
  'The baseline writes the same rows (users; user_attributes with their copies of workspace and email;',
  'user_role_assignments; one audit event a user) with four hand-written multi-row INSERTs in one',
  'transaction through the same connection (pg.Pool or PGlite).',
  'Tessera also validates the input, upserts idempotently (ON CONFLICT on the email index), locks the',
  'rows, compares existing users and writes one audit event per user in the same transaction.',
]);

function placeholders(rowCount: number, columns: number): string {
  const out: string[] = [];
  for (let r = 0; r < rowCount; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${r * columns + c}`);
    out.push(`(${cells.join(', ')})`);
  }
  return out.join(', ');
}
