import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphQLError, type ValidationContext } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { validationCache } from './validation-cache.ts';

/** A rule that refuses every document, added only for requests carrying `x-strict`. */
function strictRule(context: ValidationContext) {
  return {
    Document() {
      context.reportError(new GraphQLError('strict', { extensions: { code: 'STRICT' } }));
    },
  };
}

test('validation results are kept per rule set: a document valid without a rule is still checked by it', async () => {
  const schema = createSchema({
    typeDefs: 'type Query { hello: String }',
    resolvers: { Query: { hello: () => 'hi' } },
  });
  let validated = 0;
  const strictWhenAsked: Plugin<{ request: Request }> = {
    onValidate({ context, addValidationRule, setValidationFn, validateFn }) {
      setValidationFn((...args) => {
        validated++;
        return validateFn(...args);
      });
      if (context.request.headers.get('x-strict')) addValidationRule(strictRule);
    },
  };
  const yoga = createYoga({
    schema,
    logging: false,
    parserAndValidationCache: { validationCache: false },
    plugins: [strictWhenAsked, validationCache(schema)],
  });
  const ask = async (headers: Record<string, string> = {}) => {
    const response = await yoga.fetch('http://t/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ hello }' }),
    });
    return (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  };

  assert.deepEqual((await ask()).data, { hello: 'hi' });
  assert.deepEqual((await ask()).data, { hello: 'hi' });
  assert.equal(validated, 1, 'the second request reused the first one’s result');
  assert.equal((await ask({ 'x-strict': '1' })).errors?.[0]?.extensions?.code, 'STRICT');
  assert.equal((await ask({ 'x-strict': '1' })).errors?.[0]?.extensions?.code, 'STRICT');
  assert.equal(validated, 2, 'the stricter rule set has its own results');
  assert.deepEqual((await ask()).data, { hello: 'hi' });
});
