import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createUsers } from '../../../../test/helpers/api.ts';
import { startTestApp } from '../../../../test/helpers/app.ts';
import { createScratchPostgresDatabase, testBackends } from '../../../../test/helpers/databases.ts';
import { type App, createApp } from '../../../app.ts';
import { runCli } from '../../../cli.ts';
import { loadConfig } from '../../../config.ts';
import { ROLE_IDS } from '../../roles/roles.ts';
import { ImportRowParser } from './csv-format.ts';
import { importUsers } from './importer.ts';

interface Env {
  readonly name: string;
  readonly env: Record<string, string>;
  drop(): Promise<void>;
}

/** The import command opens its own database, so each leg gets a real data directory or database. */
const legs: (() => Promise<Env>)[] = [
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-import-'));
    return {
      name: 'pglite',
      env: { TESSERA_DATA_DIR: join(dir, 'data') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
];
if (process.env.TEST_DATABASE_URL) {
  legs.push(async () => {
    const scratch = await createScratchPostgresDatabase(process.env.TEST_DATABASE_URL!);
    return { name: 'postgres', env: { DATABASE_URL: scratch.url }, drop: scratch.drop };
  });
}

async function cli(env: Env, argv: string[], tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const raw: string[] = [];
  const code = await runCli(
    argv,
    {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      errStream: { isTTY: tty, write: (c: string) => raw.push(c) },
    },
    { NODE_ENV: 'test', LOG_LEVEL: 'silent', TESSERA_PUBLIC_URL: 'http://tessera.test', ...env.env },
  );
  return { code, out: out.join('\n'), err: err.join('\n'), raw: raw.join('') };
}

/** Opens the leg's database as the server would, for checks; closed before the next CLI run (PGlite is one process). */
async function withApp<T>(env: Env, work: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env.env }));
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

const counts = (env: Env) =>
  withApp(env, async (app) => {
    const n = async (
      table: 'users' | 'user_attributes' | 'user_role_assignments' | 'group_members' | 'outbox_messages',
    ) =>
      Number(
        (
          await app.services.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      users: await n('users'),
      attributes: await n('user_attributes'),
      roles: await n('user_role_assignments'),
      members: await n('group_members'),
      outbox: await n('outbox_messages'),
    };
  });

for (const open of legs) {
  const probe = await open();
  await probe.drop();
  describe(`tessera users import (${probe.name})`, () => {
    let env: Env;
    let dir: string;
    let groupId: string;
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    before(async () => {
      env = await open();
      dir = mkdtempSync(join(tmpdir(), 'tessera-csv-'));
      groupId = await withApp(env, async (app) => {
        const ws = await app.services.workspaces.ensureDefault();
        const g = await app.services.groups.create(
          ws.id,
          { name: 'Analysts', description: '', roleAssignments: [] },
          { requestId: null, ip: null, actorKeyId: null, actorUserId: null },
        );
        return g.id;
      });
    });
    after(async () => {
      await env.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('imports roles by name or id, groups by name, attribute columns and a JSON column, through createUsers', async () => {
      const csv = file(
        'people.csv',
        '\uFEFFemail,roles,groups,attributes,account_id,region\r\n' +
          'alice@acme.com,VIEWER:default,analysts,,acct_1,us\r\n' +
          `Bob@Acme.com,"explorer:default;${ROLE_IDS.ADMIN}",,"{""tier"":""gold"",""countries"":[""DE"",""FR""]}",acct_2,\r\n` +
          '\r\n' +
          `carol@acme.com,,"Analysts;${groupId}",,"multi\nline",eu\r\n`,
      );
      const r = await cli(env, ['users', 'import', csv]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /3 rows: 3 created, 0 updated, 0 unchanged, 0 failed/);
      assert.match(
        r.err,
        /Importing: 3\/3 rows \(100%\)/,
        'plain progress lines when stderr is not a terminal',
      );

      await withApp(env, async (app) => {
        const ws = await app.services.workspaces.ensureDefault();
        const view = async (email: string) => {
          const u = (await app.services.users.findByEmail(ws.id, email))!;
          const attrs = await app.services.db
            .selectFrom('user_attributes')
            .select(['key', 'value', 'source'])
            .where('user_id', '=', u.id)
            .orderBy('key')
            .execute();
          const roles = await app.services.db
            .selectFrom('user_role_assignments')
            .select(['role_id', 'scopes'])
            .where('user_id', '=', u.id)
            .orderBy('position')
            .execute();
          const groups = await app.services.db
            .selectFrom('group_members')
            .select('group_id')
            .where('user_id', '=', u.id)
            .execute();
          return {
            email: u.email,
            attrs: attrs.map((a) => `${a.source}:${a.key}=${a.value}`),
            roles: roles.map((x) => `${x.role_id}:${x.scopes.join('|')}`),
            groups: groups.map((g) => g.group_id),
          };
        };
        assert.deepEqual(await view('alice@acme.com'), {
          email: 'alice@acme.com',
          attrs: ['DATABASE:account_id=acct_1', 'DATABASE:region=us'],
          roles: [`${ROLE_IDS.VIEWER}:default`],
          groups: [groupId],
        });
        assert.deepEqual(await view('bob@acme.com'), {
          email: 'Bob@Acme.com',
          attrs: ['DATABASE:account_id=acct_2', 'DATABASE:countries=["DE","FR"]', 'DATABASE:tier=gold'],
          roles: [`${ROLE_IDS.EXPLORER}:default`, `${ROLE_IDS.ADMIN}:`],
          groups: [],
        });
        assert.deepEqual(await view('carol@acme.com'), {
          email: 'carol@acme.com',
          attrs: ['DATABASE:account_id=multi\nline', 'DATABASE:region=eu'],
          roles: [],
          groups: [groupId],
        });
        const audit = await app.services.db
          .selectFrom('audit_events')
          .select('details')
          .where('action', '=', 'user.create')
          .execute();
        assert.equal(audit.length, 3);
        assert.ok(audit.every((e) => (e.details as { via?: string }).via === 'import'));
      });

      // The same file again changes nothing; one changed cell updates one user.
      const again = await cli(env, ['users', 'import', csv, '--json']);
      assert.equal(again.code, 0);
      assert.deepEqual(JSON.parse(again.out), {
        rows: 3,
        created: 0,
        updated: 0,
        unchanged: 3,
        failed: 0,
        dryRun: false,
        problems: [],
      });
      const changed = file('changed.csv', 'email,region\nalice@acme.com,eu\ncarol@acme.com,eu\n');
      const c = await cli(env, ['users', 'import', changed, '--json']);
      assert.equal(
        JSON.parse(c.out).updated,
        2,
        'attributes replace DATABASE attributes, as createUsers does',
      );
    });

    it('a bad file writes nothing and names every bad line and column', async () => {
      const before = await counts(env);
      const csv = file(
        'bad.csv',
        'email,roles,groups,tier,attributes\n' +
          'new1@acme.com,VIEWER:default,,,\n' +
          'dave@acme.com,NOPE:default,Ghosts,,\n' +
          'bad-email,VIEWER:nowhere,,gold,"{""tier"":1}"\n' +
          'DAVE@acme.com,VIEWER:default,,,\n' +
          'erin@acme.com,VIEWER,,,[1]\n' +
          'fay@acme.com,,,,,extra\n',
      );
      const r = await cli(env, ['users', 'import', csv]);
      assert.equal(r.code, 1);
      const lines = r.err.split('\n').filter((l) => l.startsWith(csv));
      const at = (n: number) =>
        lines.filter((l) => l.startsWith(`${csv}:${n}:`)).map((l) => l.split(': ')[1]);
      assert.deepEqual(at(2), [], 'a good row is not blamed');
      assert.deepEqual(at(3).sort(), ['groups', 'roles']);
      assert.deepEqual(at(4).sort(), ['email', 'roles', 'tier']);
      assert.deepEqual(at(5), ['email'], 'a duplicate email names its first line');
      assert.match(lines.find((l) => l.startsWith(`${csv}:5:`))!, /line 3/);
      assert.deepEqual(at(6).sort(), ['attributes', 'roles']);
      assert.equal(at(7).length, 1, 'a row with too many fields');
      assert.match(r.out, /Not imported: .* 0 created/);
      assert.deepEqual(await counts(env), before, 'nothing written, not even the good rows');

      const header = file('header.csv', 'mail,sub\nx@acme.com,1\n');
      const h = await cli(env, ['users', 'import', header]);
      assert.equal(h.code, 1);
      assert.match(h.err, /header\.csv:1: the header needs an email column/);
      assert.match(h.err, /header\.csv:1: sub: /);
      const broken = file('broken.csv', 'email\nok@acme.com\n"unclosed@acme.com\n');
      const b = await cli(env, ['users', 'import', broken]);
      assert.equal(b.code, 1);
      assert.match(b.err, /broken\.csv:\d+: not valid CSV/);
      const empty = await cli(env, ['users', 'import', file('empty.csv', '')]);
      assert.match(empty.err, /empty\.csv:1: the file is empty/);
      assert.deepEqual(await counts(env), before, 'neither writes anything');
      const missing = await cli(env, ['users', 'import', join(dir, 'nope.csv')]);
      assert.equal(missing.code, 2);
      assert.equal((await cli(env, ['users', 'import'])).code, 2, 'usage');
      assert.equal((await cli(env, ['users', 'import', csv, '--batch-size', '0'])).code, 2);
      const huge = await cli(env, ['users', 'import', csv, '--batch-size', '10001']);
      assert.equal(huge.code, 2);
      assert.match(huge.err, /--batch-size must be an integer from 1 to 10,000/);
      assert.deepEqual(await counts(env), before, 'a refused flag writes nothing');
    });

    it('ends with fresh planner statistics, so statements prepared elsewhere replan for the new sizes', async () => {
      // A server that prepared its session check on near-empty tables keeps that plan (a scan of
      // every user) until the tables' statistics change; the import's ANALYZE changes them.
      const emails = Array.from({ length: 40 }, (_, i) => `stats${i}@acme.com`);
      const csv = file(
        'stats.csv',
        `email,groups,region\n${emails.map((e) => `${e},analysts,eu`).join('\n')}\n`,
      );
      assert.equal((await cli(env, ['users', 'import', csv])).code, 0);
      const stored = await counts(env);
      const estimated = await withApp(env, async (app) => {
        const { rows } = await sql<{ relname: string; reltuples: number }>`
          select relname, reltuples from pg_class
          where relname in ('users', 'user_attributes', 'user_role_assignments', 'group_members')
            and relkind = 'r'`.execute(app.services.db);
        return Object.fromEntries(rows.map((r) => [r.relname, Number(r.reltuples)]));
      });
      // Tables this small are analyzed whole: the planner's row counts are exact.
      assert.deepEqual(estimated, {
        users: stored.users,
        user_attributes: stored.attributes,
        user_role_assignments: stored.roles,
        group_members: stored.members,
      });
    });

    it('--dry-run reports what would happen and writes nothing', async () => {
      const before = await counts(env);
      const csv = file(
        'dry.csv',
        'email,roles\nalice@acme.com,VIEWER:default\nzed@acme.com,VIEWER:default\n',
      );
      const r = await cli(env, ['users', 'import', '--dry-run', csv, '--json']);
      assert.equal(r.code, 0, r.err);
      const summary = JSON.parse(r.out);
      assert.equal(summary.dryRun, true);
      assert.equal(summary.created, 1);
      assert.equal(summary.unchanged, 1);
      assert.deepEqual(await counts(env), before);
    });

    it('writes in batches with a progress bar; a failing batch is rolled back whole and a re-run completes the import', async () => {
      const emails = Array.from({ length: 25 }, (_, i) => `batch${String(i).padStart(2, '0')}@acme.com`);
      const csv = file(
        'batch.csv',
        `email,roles,n\n${emails.map((e, i) => `${e},VIEWER:default,${i}`).join('\n')}\n`,
      );
      // The 15th row (second batch of 10) fails inside the database, after the check passed.
      await withApp(env, async (app) => {
        await sql`create function refuse_batch14() returns trigger language plpgsql as $$
          begin if new.email = 'batch14@acme.com' then raise exception 'disk full'; end if; return new; end $$`.execute(
          app.services.db,
        );
        await sql`create trigger refuse_batch14 before insert on users for each row execute function refuse_batch14()`.execute(
          app.services.db,
        );
      });
      const before = await counts(env);
      const r = await cli(env, ['users', 'import', csv, '--batch-size', '10', '--send-welcome-email'], true);
      assert.equal(r.code, 1);
      assert.match(r.err, /batch\.csv:12: the batch of lines 12–21 was rolled back/);
      assert.match(r.err, /the database write failed: disk full/, 'the cause is named');
      assert.match(r.out, /25 rows: 10 created, 0 updated, 0 unchanged, 15 failed/);
      assert.match(r.raw, /\rImporting █{12}░{18} {2}40% 10\/25/, 'a bar redrawn in place on a terminal');
      const mid = await counts(env);
      assert.equal(mid.users - before.users, 10, 'the first batch stays; nothing of the failed batch');
      assert.equal(mid.outbox - before.outbox, 10, 'welcome emails only for committed users');

      await withApp(env, async (app) => {
        await sql`drop trigger refuse_batch14 on users`.execute(app.services.db);
      });
      const rerun = await cli(env, [
        'users',
        'import',
        csv,
        '--batch-size',
        '10',
        '--send-welcome-email',
        '--json',
      ]);
      assert.equal(rerun.code, 0, rerun.err);
      assert.deepEqual(
        (({ created, unchanged, failed }) => ({ created, unchanged, failed }))(JSON.parse(rerun.out)),
        { created: 15, unchanged: 10, failed: 0 },
      );
      assert.equal(
        (await counts(env)).outbox - before.outbox,
        25,
        'one welcome email per new user, none twice',
      );

      const listed = await cli(env, ['outbox', '--json', '--limit', '1000']);
      assert.equal(listed.code, 0);
      const batchMessages = (JSON.parse(listed.out) as { recipient: string; state: string }[]).filter((m) =>
        m.recipient.startsWith('batch'),
      );
      assert.equal(batchMessages.length, 25);
      assert.ok(
        batchMessages.every((m) => m.state === 'QUEUED'),
        'no SMTP_URL: messages stay QUEUED',
      );
    });

    it('--workspace imports into that workspace only; an unknown workspace is refused', async () => {
      const other = await withApp(env, (app) =>
        app.services.workspaces.create('Tenant B', {
          requestId: null,
          ip: null,
          actorKeyId: null,
          actorUserId: null,
        }),
      );
      const csv = file('tenant.csv', 'email,tier\nalice@acme.com,b\n');
      const r = await cli(env, ['users', 'import', csv, '--workspace', other.id, '--json']);
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).created, 1, 'alice of the default workspace is another user');
      await withApp(env, async (app) => {
        const inOther = await app.services.users.findByEmail(other.id, 'alice@acme.com');
        const ws = await app.services.workspaces.ensureDefault();
        const inDefault = await app.services.users.findByEmail(ws.id, 'alice@acme.com');
        assert.ok(inOther && inDefault && inOther.id !== inDefault.id);
      });
      assert.equal((await cli(env, ['users', 'import', csv, '--workspace', 'ws_missing'])).code, 2);
    });

    it('tessera outbox lists messages and requeues a FAILED one', async () => {
      const id = await withApp(env, async (app) => {
        const row = await app.services.db
          .selectFrom('outbox_messages')
          .select('id')
          .orderBy('id')
          .executeTakeFirstOrThrow();
        await app.services.db
          .updateTable('outbox_messages')
          .set({ state: 'FAILED', attempts: 8, last_error: '550 Mailbox unavailable' })
          .where('id', '=', row.id)
          .execute();
        return row.id;
      });
      const listed = await cli(env, ['outbox', '--state', 'failed']);
      assert.equal(listed.code, 0);
      assert.match(listed.out, new RegExp(`${id}\\s+FAILED\\s+8`));
      assert.match(listed.out, /550 Mailbox unavailable/);
      assert.equal((await cli(env, ['outbox', '--state', 'nope'])).code, 2);

      const retried = await cli(env, ['outbox', 'retry', id]);
      assert.equal(retried.code, 0, retried.err);
      const again = await cli(env, ['outbox', 'retry', id]);
      assert.equal(again.code, 2);
      assert.match(again.err, /^CONFLICT/);
      assert.match((await cli(env, ['outbox', 'retry', 'msg_unknown'])).err, /^NOT_FOUND/);
      const [message] = JSON.parse(
        (await cli(env, ['outbox', '--json', '--state', 'QUEUED', '--limit', '1000'])).out,
      ).filter((m: { id: string }) => m.id === id);
      assert.equal(message.attempts, 0);
    });
  });
}

describe('users import against an app with data', () => {
  it('the CSV summary matches what createUsers reports for the same users', async () => {
    // A guard that the import path and the API share one service: a user made over the API is UNCHANGED on import.
    const t = await startTestApp(testBackends()[0]!);
    try {
      await createUsers(t, { emails: ['same@acme.com'] });
      const results = await t.app.services.users.createUsersBatch(
        t.workspaceId,
        [{ emails: ['same@acme.com'] }, { emails: ['other@acme.com'] }],
        { requestId: null, ip: null, actorKeyId: null, actorUserId: null },
      );
      assert.deepEqual(
        results.map((r) => r[0]!.outcome),
        ['UNCHANGED', 'CREATED'],
      );
    } finally {
      await t.close();
    }
  });
});

describe('users import reads the file twice', () => {
  it('a file that changes between the check and the write stops at the first changed line', async () => {
    const t = await startTestApp(testBackends()[0]!);
    try {
      const body = (records: string[][]) => [
        { record: ['email'], line: 1 },
        ...records.map((record, i) => ({ record, line: i + 2 })),
      ];
      let pass = 0;
      // The first pass (the check) sees three good rows; the second sees line 4 with two fields.
      const records = () => {
        pass++;
        const rows = [['a@acme.com'], ['b@acme.com'], pass === 1 ? ['c@acme.com'] : ['c@acme.com', 'x']];
        return (async function* () {
          yield* body(rows);
        })();
      };
      const result = await importUsers(
        {
          users: t.app.services.users,
          workspaceId: t.workspaceId,
          records,
          parser: () => new ImportRowParser(new Map(), { sendWelcomeEmail: false }),
        },
        { dryRun: false, batchSize: 2 },
      );
      assert.equal(pass, 2);
      assert.equal(result.problems.length, 1);
      assert.equal(result.problems[0]!.line, 4);
      assert.match(result.problems[0]!.message, /changed while it was imported/);
      assert.equal(result.summary.created, 2, 'the batch before the change was written');
      assert.equal(result.summary.failed, 1);
    } finally {
      await t.close();
    }
  });
});
