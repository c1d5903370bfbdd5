import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA, TESSERA_SCHEMA, USER_SCHEMA } from './resources.ts';
import { DEFAULT_COUNT, MAX_COUNT } from './service.ts';

const attr = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

/** RFC 7643 §5: what this service provider supports (docs/scim.md "Discovery"). */
export const serviceProviderConfig = (baseUrl: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  documentationUri: 'https://github.com/tessera/tessera/blob/main/docs/scim.md',
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: MAX_COUNT },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'Bearer token',
      description: 'A Tessera access key with the scim permission, as Authorization: Bearer tsk_…',
      primary: true,
    },
  ],
  meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  defaultPageSize: DEFAULT_COUNT,
});

export const resourceTypes = (baseUrl: string) => [
  {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    schema: USER_SCHEMA,
    schemaExtensions: [
      { schema: ENTERPRISE_SCHEMA, required: false },
      { schema: TESSERA_SCHEMA, required: false },
    ],
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
  },
  {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    schema: GROUP_SCHEMA,
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
  },
];

const sub = (names: string[]) => names.map((n) => attr(n, 'string'));
/** A multi-valued complex attribute of string sub-attributes and a boolean `primary` (RFC 7643 §2.4). */
const multi = (name: string, names: string[]) =>
  attr(name, 'complex', { multiValued: true, subAttributes: [...sub(names), attr('primary', 'boolean')] });

export const schemas = (baseUrl: string) =>
  [
    {
      id: USER_SCHEMA,
      name: 'User',
      attributes: [
        attr('userName', 'string', { required: true, uniqueness: 'server', description: "The user's email" }),
        attr('externalId', 'string', { caseExact: true }),
        attr('name', 'complex', {
          subAttributes: sub([
            'formatted',
            'familyName',
            'givenName',
            'middleName',
            'honorificPrefix',
            'honorificSuffix',
          ]),
        }),
        attr('displayName', 'string', { description: 'Stored as the display_name attribute' }),
        ...sub(['nickName']),
        attr('profileUrl', 'reference', { referenceTypes: ['external'] }),
        ...sub(['title', 'userType', 'preferredLanguage', 'locale', 'timezone']),
        attr('active', 'boolean'),
        attr('password', 'string', {
          mutability: 'writeOnly',
          returned: 'never',
          description: 'Accepted and ignored: Tessera users sign in with SSO',
        }),
        multi('emails', ['value', 'display', 'type']),
        multi('phoneNumbers', ['value', 'display', 'type']),
        multi('ims', ['value', 'display', 'type']),
        multi('photos', ['value', 'display', 'type']),
        attr('addresses', 'complex', {
          multiValued: true,
          subAttributes: [
            ...sub(['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type']),
            attr('primary', 'boolean'),
          ],
        }),
        attr('groups', 'complex', {
          multiValued: true,
          mutability: 'readOnly',
          description: 'Not shown: group membership is written through /Groups',
          subAttributes: [
            attr('value', 'string', { mutability: 'readOnly' }),
            attr('$ref', 'reference', { mutability: 'readOnly', referenceTypes: ['Group'] }),
            attr('display', 'string', { mutability: 'readOnly' }),
            attr('type', 'string', { mutability: 'readOnly' }),
          ],
        }),
        multi('entitlements', ['value', 'display', 'type']),
        multi('roles', ['value', 'display', 'type']),
        multi('x509Certificates', ['value', 'display', 'type']),
      ],
    },
    {
      id: ENTERPRISE_SCHEMA,
      name: 'EnterpriseUser',
      attributes: [
        ...sub(['employeeNumber', 'costCenter', 'organization', 'division', 'department']),
        // Complex (RFC 7643 §4.3); Entra's bare manager id is accepted as its value.
        attr('manager', 'complex', {
          subAttributes: [
            attr('value', 'string'),
            attr('$ref', 'reference', { referenceTypes: ['User'] }),
            attr('displayName', 'string'),
          ],
        }),
      ],
    },
    {
      id: TESSERA_SCHEMA,
      name: 'TesseraAttributes',
      description:
        "The user's DATABASE attributes, one attribute per key: a string, number, boolean or list of strings (stored as a JSON array).",
      attributes: [],
    },
    {
      id: GROUP_SCHEMA,
      name: 'Group',
      attributes: [
        attr('displayName', 'string', { required: true, uniqueness: 'server' }),
        attr('externalId', 'string', { caseExact: true }),
        attr('members', 'complex', {
          multiValued: true,
          subAttributes: [
            attr('value', 'string', { caseExact: true, mutability: 'immutable' }),
            attr('display', 'string', { mutability: 'readOnly' }),
            attr('type', 'string', { mutability: 'readOnly', canonicalValues: ['User'] }),
            attr('$ref', 'reference', { mutability: 'readOnly', referenceTypes: ['User'] }),
          ],
        }),
      ],
    },
  ].map((s) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    ...s,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
  }));

export const listOf = (resources: unknown[]) => ({
  schemas: [LIST_SCHEMA],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});
