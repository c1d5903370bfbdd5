import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Resolver types generated from the SDL: every `*.graphql` under `src/` (a new module's
 * `schema.graphql` is picked up as it is), written to src/graphql/generated/resolvers.ts by
 * `npm run codegen`. test/codegen.test.ts fails when the committed file is out of date.
 *
 * `mappers` name the internal models resolvers receive as parents (database rows, service
 * views), so a field resolver is checked against what its parent resolver really returns.
 */
const config: CodegenConfig = {
  schema: 'src/**/*.graphql',
  generates: {
    'src/graphql/generated/resolvers.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        skipTypename: true,
        enumsAsTypes: true,
        immutableTypes: true,
        contextType: '../context.ts#RequestContext',
        mapperTypeSuffix: 'Model',
        scalars: { JSONValue: 'unknown' },
        mappers: {
          AccessKey: '../../modules/access-keys/service.ts#AccessKeyView',
          AttributeDefinition: '../../modules/attribute-definitions/service.ts#AttributeDefinitionView',
          AuditEvent: '../../modules/audit/queries.ts#AuditRow',
          DataConnection: '../../modules/data/connections/types.ts#ConnectionView',
          ColumnPolicy: '../../modules/data/policies/queries.ts#StoredColumnPolicy',
          DataDomain: '../../modules/data/domains/queries.ts#DomainView',
          OutboxMessage: '../../modules/outbox/queries.ts#OutboxMessage',
          Role: '../../modules/roles/roles.ts#Role',
          RoleAssignment: '../../modules/users/queries/users.ts#StoredAssignment',
          User: '../../modules/users/model.ts#UserModel',
          UserConnection: '../../modules/users/resolvers.ts#UserConnectionValue',
          UserGroup: '../../modules/groups/service.ts#GroupView',
          Workspace: '../../modules/workspaces/service.ts#WorkspaceView',
        },
      },
    },
  },
};

export default config;
