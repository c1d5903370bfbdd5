// Allowed embed origins are stored the way browsers spell an origin (MessageEvent.origin), since
// the embed page compares them with the parent's origin as strings. See docs/sessions.md
// "Which sites may embed Tessera".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

const SET = `mutation($input: UpdateWorkspaceEmbedSettingsInput!) {
  updateWorkspaceEmbedSettings(input: $input) { status { code problems { field message } } workspace { allowedEmbedOrigins } }
}`;

for (const backend of testBackends().slice(0, 1)) {
  describe(`allowed embed origins are stored as browsers serialize them (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('normalizes ports with leading zeros, IPv6 and IPv4 spellings to the browser origin', async () => {
      const cases: [string, string][] = [
        ['https://app.example.com:08443', 'https://app.example.com:8443'],
        ['https://*.example.com:08443', 'https://*.example.com:8443'],
        ['http://[0:0:0:0:0:0:0:1]:8080', 'http://[::1]:8080'],
        ['http://[::FFFF:127.0.0.1]', 'http://[::ffff:7f00:1]'],
        ['http://127.1:8080', 'http://127.0.0.1:8080'],
        ['http://2130706433', 'http://127.0.0.1'],
        ['https://app.example.com:443', 'https://app.example.com'],
      ];
      for (const [input, expected] of cases) {
        const r = await t().gql(SET, { input: { allowedEmbedOrigins: [input] } });
        assert.equal(r.body.data?.updateWorkspaceEmbedSettings.status.code, 'OK', input);
        assert.deepEqual(
          r.body.data?.updateWorkspaceEmbedSettings.workspace.allowedEmbedOrigins,
          [expected],
          input,
        );
        if (!expected.includes('*')) assert.equal(new URL(input).origin, expected, input);
      }
    });

    it('keeps one entry when two spellings are the same origin', async () => {
      const r = await t().gql(SET, {
        input: { allowedEmbedOrigins: ['https://app.example.com:8443', 'https://APP.example.com:08443'] },
      });
      assert.deepEqual(r.body.data?.updateWorkspaceEmbedSettings.workspace.allowedEmbedOrigins, [
        'https://app.example.com:8443',
      ]);
    });

    it('still refuses what is not an origin, and leaves the stored list as it was', async () => {
      await t().gql(SET, { input: { allowedEmbedOrigins: ['https://kept.example.com'] } });
      for (const bad of [
        'https://example.com.',
        'https://bücher.example',
        'https://a.example.com:65536',
        'null',
        'https://*.[::1]',
        'http://1.2.3.4.5',
        'http://256.0.0.1',
        'https://*.1.2',
        'https://*.example.1',
      ]) {
        const r = await t().gql(SET, { input: { allowedEmbedOrigins: [bad] } });
        assert.equal(r.body.data?.updateWorkspaceEmbedSettings.status.code, 'ERROR', bad);
      }
      const now = await t().gql('{ workspace { allowedEmbedOrigins } }');
      assert.deepEqual(now.body.data?.workspace.allowedEmbedOrigins, ['https://kept.example.com']);
    });
  });
}
