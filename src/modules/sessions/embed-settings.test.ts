import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import { impersonate, userWithEmail } from '../../../test/helpers/sessions.ts';
import { normalizeEmbedOrigins } from './embed-origins.ts';

const UPDATE = `mutation($input: UpdateWorkspaceEmbedSettingsInput!) {
  updateWorkspaceEmbedSettings(input: $input) {
    status { code errorCode problems { field item } }
    workspace { id allowedEmbedOrigins }
  }
}`;

describe('embed origin validation', () => {
  it('accepts origins and one leading wildcard label, normalizes case, default ports and duplicates', () => {
    const r = normalizeEmbedOrigins([
      'https://App.Example.com',
      'http://localhost:3000',
      'https://*.example.com',
      'https://app.example.com:443',
      'http://127.0.0.1:8080',
      'http://[::1]:5173',
    ]);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.origins, [
      'https://app.example.com',
      'http://localhost:3000',
      'https://*.example.com',
      'http://127.0.0.1:8080',
      'http://[::1]:5173',
    ]);
  });

  it('refuses paths, wildcards elsewhere, other schemes, CSP injection and bad ports, naming each', () => {
    const bad = [
      'https://app.example.com/',
      'https://app.example.com/path',
      '*',
      'https://*',
      'https://*.com',
      'https://a.*.example.com',
      'javascript:alert(1)',
      'ftp://example.com',
      "https://example.com; script-src 'unsafe-inline'",
      'https://example.com https://evil.test',
      'https://example.com:99999',
      'example.com',
      'https://user@example.com',
      'https://example.com?x=1',
    ];
    const r = normalizeEmbedOrigins(bad);
    assert.deepEqual(
      r.problems.map((p) => p.field),
      bad.map((_, i) => `allowedEmbedOrigins[${i}]`),
    );
  });
});

for (const backend of testBackends()) {
  describe(`updateWorkspaceEmbedSettings (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('stores the origins for the workspace, shows them on Workspace and through services.sessions', async () => {
      const r = await t().gql(UPDATE, {
        input: { allowedEmbedOrigins: ['https://App.example.com', 'https://*.acme.test'] },
      });
      const payload = r.body.data!.updateWorkspaceEmbedSettings;
      assert.equal(payload.status.code, 'OK', JSON.stringify(r.body));
      assert.deepEqual(payload.workspace.allowedEmbedOrigins, [
        'https://app.example.com',
        'https://*.acme.test',
      ]);
      assert.deepEqual(await t().app.services.sessions.allowedEmbedOrigins(t().workspaceId), [
        'https://app.example.com',
        'https://*.acme.test',
      ]);
      // A session of the workspace can read them too (the embed page needs them).
      await userWithEmail(t(), 'emb@acme.test');
      const token = (await impersonate(t(), 'emb@acme.test')).token!;
      const ws = await t().gql('{ workspace { allowedEmbedOrigins } }', {}, token);
      assert.deepEqual(ws.body.data!.workspace.allowedEmbedOrigins, [
        'https://app.example.com',
        'https://*.acme.test',
      ]);
      // [] clears them.
      const cleared = await t().gql(UPDATE, { input: { allowedEmbedOrigins: [] } });
      assert.deepEqual(cleared.body.data!.updateWorkspaceEmbedSettings.workspace.allowedEmbedOrigins, []);
      assert.deepEqual(await t().app.services.sessions.allowedEmbedOrigins('ws_unknown'), []);
    });

    it('a list stored in other spellings is served as browsers write origins, without what they refuse', async () => {
      await t()
        .app.services.db.updateTable('workspaces')
        .set({
          allowed_embed_origins: [
            'http://127.0.0.1:09833',
            'https://APP.example.com:443',
            'http://1.2.3.4.5',
          ],
        })
        .where('id', '=', t().workspaceId)
        .execute();
      assert.deepEqual(await t().app.services.sessions.allowedEmbedOrigins(t().workspaceId), [
        'http://127.0.0.1:9833',
        'https://app.example.com',
      ]);
      await t().gql(UPDATE, { input: { allowedEmbedOrigins: [] } });
    });

    it('rejects bad origins as status ERROR naming each, leaving the setting unchanged', async () => {
      await t().gql(UPDATE, { input: { allowedEmbedOrigins: ['https://keep.example.com'] } });
      const r = await t().gql(UPDATE, {
        input: { allowedEmbedOrigins: ['https://ok.example.com', 'https://bad.example.com/path', '*'] },
      });
      const status = r.body.data!.updateWorkspaceEmbedSettings.status;
      assert.equal(status.code, 'ERROR');
      assert.equal(status.errorCode, 'BAD_USER_INPUT');
      assert.deepEqual(
        status.problems.map((p: { field: string }) => p.field),
        ['allowedEmbedOrigins[1]', 'allowedEmbedOrigins[2]'],
      );
      assert.deepEqual(await t().app.services.sessions.allowedEmbedOrigins(t().workspaceId), [
        'https://keep.example.com',
      ]);
    });

    it('needs iam:write; another workspace needs site:admin; unknown workspace is NOT_FOUND', async () => {
      const reader = await t().key(['iam:read']);
      const denied = await t().gql(UPDATE, { input: { allowedEmbedOrigins: [] } }, reader);
      assert.equal(denied.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const created = await t().gql(
        'mutation { createWorkspace(input: { name: "Embed other" }) { workspace { id } } }',
      );
      const other = created.body.data!.createWorkspace.workspace.id;
      const writer = await t().key(['iam:write']);
      const cross = await t().gql(
        UPDATE,
        { input: { workspaceId: other, allowedEmbedOrigins: ['https://x.test'] } },
        writer,
      );
      assert.equal(cross.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      assert.deepEqual(await t().app.services.sessions.allowedEmbedOrigins(other), []);
      const admin = await t().gql(UPDATE, {
        input: { workspaceId: other, allowedEmbedOrigins: ['https://x.test'] },
      });
      assert.equal(admin.body.data!.updateWorkspaceEmbedSettings.status.code, 'OK');
      assert.deepEqual(await t().app.services.sessions.allowedEmbedOrigins(other), ['https://x.test']);
      const missing = await t().gql(UPDATE, {
        input: { workspaceId: 'ws_missing', allowedEmbedOrigins: [] },
      });
      assert.equal(missing.body.data!.updateWorkspaceEmbedSettings.status.code, 'NOT_FOUND');
    });
  });
}
