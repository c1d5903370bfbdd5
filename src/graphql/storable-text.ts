import {
  defaultFieldResolver,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { AppError, type Problem, unauthenticated } from '../errors.ts';
import { unstorableText } from '../text.ts';

/**
 * Every string in a field's arguments (values and object keys, however deep) that cannot be
 * stored, as problems naming its input path. Paths are relative to an `input` argument, as the
 * services name them (`emails[1]`, `userAttributes[0].value`); other arguments are named
 * (`filter.emailPrefix`, `id`).
 */
export function unstorableArguments(args: Readonly<Record<string, unknown>>): Problem[] {
  const problems: Problem[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      const message = unstorableText(value);
      if (message) problems.push({ code: 'BAD_USER_INPUT', field: path || 'input', message });
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, `${path}[${i}]`);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const field = path ? `${path}.${key}` : key;
        const message = unstorableText(key);
        if (message) problems.push({ code: 'BAD_USER_INPUT', field, message: `key ${message}` });
        walk(item, field);
      }
    }
  };
  for (const [name, value] of Object.entries(args)) walk(value, name === 'input' ? '' : name);
  return problems;
}

/**
 * Installs the text check in front of every field of `schema` that takes arguments, whatever
 * module declares it, so no resolver ever sees text the database cannot store. A refusal is a
 * BAD_USER_INPUT naming every bad field; on a compat mutation (a payload with a `status:
 * ResponseStatus`) it is that status, HTTP 200, as for every other bad input of those mutations.
 */
export function refuseUnstorableText(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length > 0) field.resolve = guarded(field);
    }
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the resolver's own types are the schema's business
function guarded(field: GraphQLField<unknown, unknown>): GraphQLFieldResolver<unknown, unknown, any> {
  const resolve = field.resolve ?? defaultFieldResolver;
  const refusal = statusPayload(field.type);
  // Fields that take their credential as an argument (impersonateUser, exchangeAccessToken) are
  // the only ones an anonymous caller may reach; every other one answers it 401 first, and so
  // does this check: authentication comes before input validation, as everywhere else.
  const anonymousAllowed = field.args.some((a) => a.name === 'accessToken');
  return (source, args, context, info) => {
    const problems = unstorableArguments(args);
    if (problems.length === 0) return resolve(source, args, context, info);
    // A credential that could never be a key is a bad key: the one 401 every bad key gets
    // (docs/api-contract.md §1), not an input error that singles it out.
    if (anonymousAllowed && problems.some((p) => p.field === 'accessToken')) throw unauthenticated();
    if (!anonymousAllowed && !(context as { principal?: unknown } | null)?.principal) throw unauthenticated();
    const message = `Invalid input: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`;
    if (refusal) return refusal(message, problems);
    throw new AppError('BAD_USER_INPUT', message, { problems });
  };
}

/**
 * For a compat payload type (`status: ResponseStatus!` beside lists and nullable fields), the
 * payload that reports a refusal in its status; null for any other type.
 */
function statusPayload(type: GraphQLOutputType) {
  const payload = getNullableType(type);
  if (!isObjectType(payload)) return null;
  const fields = Object.values(payload.getFields());
  const status = payload.getFields().status;
  if (!status || getNamedType(status.type).name !== 'ResponseStatus') return null;
  const fallback: Record<string, unknown> = {};
  for (const f of fields) {
    if (f === status) continue;
    if (!isNonNullType(f.type)) fallback[f.name] = null;
    else if (isListType(f.type.ofType)) fallback[f.name] = [];
    else return null; // a required scalar or object has no honest empty value
  }
  return (message: string, problems: readonly Problem[]) => ({
    ...fallback,
    status: { code: 'ERROR', message, errorCode: 'BAD_USER_INPUT', problems },
  });
}
