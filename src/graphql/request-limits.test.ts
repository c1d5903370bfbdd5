import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphQLError } from 'graphql';
import { requestLimits } from './request-limits.ts';

const LIMITS = {
  maxNesting: 8,
  lists: { defaultItems: 1000, items: {} },
  cost: { maxCost: 1000, maxPageSize: 50, defaultListSize: 10, listSizes: {} },
} as unknown as Parameters<typeof requestLimits>[0];

/** The plugin's parse hook alone, as Yoga calls it with a request's document text. */
function parseHook() {
  const plugin = requestLimits(LIMITS) as unknown as {
    onParse(payload: { params: { source: string } }): void;
  };
  return (source: string) => plugin.onParse({ params: { source } });
}

const refusedForNesting = (err: unknown) =>
  err instanceof GraphQLError && err.extensions.code === 'BAD_REQUEST';

describe('the nesting limit on a document text', () => {
  it('refuses a deep text every time it comes, even right after a shallow one passed', () => {
    const check = parseHook();
    const shallow = '{ users { totalCount } }';
    const deep = `{ users(filter: ${'['.repeat(20)}1${']'.repeat(20)}) { totalCount } }`;
    for (let round = 0; round < 3; round++) {
      check(shallow); // passes, and is remembered
      assert.throws(() => check(deep), refusedForNesting);
    }
  });

  it('refuses a text one level deeper than one it remembers at the limit', () => {
    const check = parseHook();
    // `{` and `(` are two levels: six brackets make eight, the limit; seven make nine.
    check(`{ a(x: ${'['.repeat(6)}1${']'.repeat(6)}) }`);
    check(`{ a(x: ${'['.repeat(6)}1${']'.repeat(6)}) }`);
    assert.throws(() => check(`{ a(x: ${'['.repeat(7)}1${']'.repeat(7)}) }`), refusedForNesting);
  });
});
