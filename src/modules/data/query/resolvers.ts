import { Kind, type ValueNode } from 'graphql';
import type { ModuleResolvers } from '../../../graphql/context.ts';
import { requirePermission, requireSession } from '../../auth/guards.ts';

/** Result cells and parameters are plain JSON; output only is what matters here. */
const JSONValue = {
  serialize: (value: unknown) => value,
  parseValue: (value: unknown) => value,
  parseLiteral: function literal(ast: ValueNode): unknown {
    switch (ast.kind) {
      case Kind.STRING:
      case Kind.BOOLEAN:
        return ast.value;
      case Kind.INT:
      case Kind.FLOAT:
        return Number(ast.value);
      case Kind.LIST:
        return ast.values.map(literal);
      case Kind.OBJECT:
        return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
      default:
        return null;
    }
  },
};

/** runQuery (a user's session) and explainAccess (`data:admin`). */
export function queryResolvers(): ModuleResolvers {
  return {
    JSONValue,
    Query: {
      runQuery: (_, args, ctx) => {
        const session = requireSession(ctx.principal);
        return ctx.services.data.queries.run({
          caller: {
            workspaceId: session.workspaceId,
            userId: session.userId,
            transientAttributes: session.transientAttributes,
            ...(session.snapshotVersion === undefined ? {} : { snapshotVersion: session.snapshotVersion }),
          },
          domainId: args.domainId,
          sql: args.sql,
          origin: ctx.origin,
          at: () => ctx.clock.now(),
        });
      },
      explainAccess: (_, args, ctx) => {
        const principal = requirePermission(ctx.principal, 'data:admin');
        return ctx.services.data.queries.explain(
          {
            workspaceId: principal.workspaceId,
            userId: args.userId,
            transientAttributes: new Map((args.sessionAttributes ?? []).map((a) => [a.key, a.value])),
          },
          args.domainId,
          args.sql,
        );
      },
    },
  };
}
