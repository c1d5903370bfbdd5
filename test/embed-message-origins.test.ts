import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactOrigins, originAllowed } from '../web/embed/origins.ts';

// The embed page's postMessage origin check (docs/embedding.md "What the embedded page guarantees") matches origins as CSP frame-ancestors
// does; the page itself is exercised in Chromium (test/browser/embed.test.ts).
describe('embed page message origins', () => {
  const allowed = ['https://app.acme.example', 'https://*.tenants.example', 'http://*.dev.example:8080'];

  it('accepts exact origins and subdomains under a wildcard, with the same scheme and port', () => {
    for (const origin of [
      'https://app.acme.example',
      'https://a.tenants.example',
      'https://x.y.tenants.example',
      'http://local.dev.example:8080',
    ]) {
      assert.ok(originAllowed(origin, allowed), origin);
    }
  });

  it('refuses look-alikes: bare wildcard host, suffix tricks, other schemes or ports, paths, null', () => {
    for (const origin of [
      'https://tenants.example',
      'https://eviltenants.example',
      'https://a.tenants.example.evil.example',
      'http://a.tenants.example',
      'https://a.tenants.example:8443',
      'http://local.dev.example',
      'http://local.dev.example:8081',
      'https://app.acme.example.evil.example',
      'https://app.acme.example:443',
      'https://a.tenants.example/path',
      'https://a@b.tenants.example',
      'null',
      '',
      'https://*.tenants.example',
    ]) {
      assert.equal(originAllowed(origin, allowed), false, origin);
    }
  });

  it('posts only to exact origins: a wildcard pattern is no postMessage target', () => {
    assert.deepEqual(exactOrigins(allowed), ['https://app.acme.example']);
  });
});
