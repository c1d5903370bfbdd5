import type { HttpContext, RouteHandler, Router } from '../../http/router.ts';
import { unstorableText } from '../../text.ts';
import { bearerToken } from '../auth/authenticator.ts';
import { listOf, resourceTypes, schemas, serviceProviderConfig } from './discovery.ts';
import { errorBody, ScimError, scimResponse, toScimError } from './errors.ts';
import { DEFAULT_COUNT, type ListQuery, type ScimCall, type ScimService } from './service.ts';

const BASE = '/scim/v2';
/** SCIM bodies are small; a larger one is refused before it is parsed. */
const MAX_BODY_BYTES = 1024 * 1024;

/** One authenticated SCIM request, as a handler sees it. */
interface ScimRequest extends ScimCall {
  readonly params: Record<string, string>;
  readonly url: URL;
  body(): Promise<unknown>;
}

type Resource = Record<string, unknown>;

/** What one resource type (Users, Groups) answers, endpoint by endpoint. */
interface ResourceEndpoints {
  list(r: ScimRequest): Promise<Resource>;
  create(r: ScimRequest, body: unknown): Promise<Resource>;
  get(r: ScimRequest, id: string): Promise<Resource>;
  replace(r: ScimRequest, id: string, body: unknown): Promise<Resource>;
  patch(r: ScimRequest, id: string, body: unknown): Promise<Resource>;
  remove(r: ScimRequest, id: string): Promise<void>;
}

/** Mounts SCIM 2.0 (RFC 7644) at /scim/v2: every route authenticates a `scim` access key first. */
export function scimRoutes(router: Router, scim: ScimService, publicUrl: string): void {
  const baseUrl = `${publicUrl}${BASE}`;
  const route = (handler: (r: ScimRequest) => Promise<Response>): RouteHandler => {
    return async (request, ctx) => {
      try {
        const key = await authenticate(scim, request, ctx);
        return await handler({
          workspaceId: key.workspaceId,
          origin: { requestId: ctx.requestId, ip: ctx.ip, actorKeyId: key.keyId, actorUserId: null },
          baseUrl,
          params: ctx.params,
          url: new URL(request.url),
          body: () => readBody(request),
        });
      } catch (err) {
        const e = toScimError(err);
        return scimResponse(
          errorBody(e.status, e.scimType, e.message),
          e.status,
          e.status === 401 ? { 'www-authenticate': 'Bearer realm="scim"' } : {},
        );
      }
    };
  };
  // An unknown endpoint (/Bulk, /Me), a method a resource lacks, a malformed id or an oversized
  // body is refused before any handler: as an RFC 7644 error too, not the API's error body.
  router.refusals(BASE, (refusal) =>
    scimResponse(errorBody(refusal.status, null, refusal.message), refusal.status, { ...refusal.headers }),
  );
  const ok = (body: unknown, status = 200) => scimResponse(body, status);
  const located = (body: Record<string, unknown>) =>
    scimResponse(body, 201, { location: String((body.meta as { location: string }).location) });

  router.add(
    'GET',
    `${BASE}/ServiceProviderConfig`,
    route(async () => ok(serviceProviderConfig(baseUrl))),
  );
  router.add(
    'GET',
    `${BASE}/ResourceTypes`,
    route(async () => ok(listOf(resourceTypes(baseUrl)))),
  );
  router.add(
    'GET',
    `${BASE}/ResourceTypes/:id`,
    route(async (r) => ok(byId(resourceTypes(baseUrl), r.params.id!))),
  );
  router.add(
    'GET',
    `${BASE}/Schemas`,
    route(async () => ok(listOf(schemas(baseUrl)))),
  );
  router.add(
    'GET',
    `${BASE}/Schemas/:id`,
    route(async (r) => ok(byId(schemas(baseUrl), r.params.id!))),
  );

  /** The six endpoints of a resource type, the same for Users and Groups (RFC 7644 §3). */
  const mountResource = (path: string, endpoints: ResourceEndpoints) => {
    router.add(
      'GET',
      `${BASE}/${path}`,
      route(async (r) => ok(await endpoints.list(r))),
    );
    router.add(
      'POST',
      `${BASE}/${path}`,
      route(async (r) => located(await endpoints.create(r, await r.body()))),
    );
    router.add(
      'GET',
      `${BASE}/${path}/:id`,
      route(async (r) => ok(await endpoints.get(r, r.params.id!))),
    );
    router.add(
      'PUT',
      `${BASE}/${path}/:id`,
      route(async (r) => ok(await endpoints.replace(r, r.params.id!, await r.body()))),
    );
    router.add(
      'PATCH',
      `${BASE}/${path}/:id`,
      route(async (r) => ok(await endpoints.patch(r, r.params.id!, await r.body()))),
    );
    router.add(
      'DELETE',
      `${BASE}/${path}/:id`,
      route(async (r) => {
        await endpoints.remove(r, r.params.id!);
        return new Response(null, { status: 204 });
      }),
    );
  };

  mountResource('Users', {
    list: (r) => scim.listUsers(r, listQuery(r.url)),
    create: (r, body) => scim.createUser(r, body),
    get: (r, id) => scim.getUser(r, id),
    replace: (r, id, body) => scim.replaceUser(r, id, body),
    patch: (r, id, body) => scim.patchUser(r, id, body),
    remove: (r, id) => scim.deleteUser(r, id),
  });
  mountResource('Groups', {
    list: (r) => scim.listGroups(r, listQuery(r.url), withMembers(r.url)),
    create: (r, body) => scim.createGroup(r, body),
    get: (r, id) => scim.getGroup(r, id, withMembers(r.url)),
    replace: (r, id, body) => scim.replaceGroup(r, id, body),
    patch: (r, id, body) => scim.patchGroup(r, id, body),
    remove: (r, id) => scim.deleteGroup(r, id),
  });
}

/** `excludedAttributes=members` (RFC 7644 §3.9) leaves a group's members out of the response. */
function withMembers(url: URL): boolean {
  return !(url.searchParams.get('excludedAttributes') ?? '')
    .split(',')
    .some((a) => a.trim().toLowerCase() === 'members');
}

async function authenticate(scim: ScimService, request: Request, ctx: HttpContext) {
  const token = bearerToken(request.headers.get('authorization'));
  const key = await scim.authenticate(token ?? null, { requestId: ctx.requestId, ip: ctx.ip });
  if (!key) throw new ScimError(401, null, 'Unauthorized');
  return key;
}

function byId<T extends { id: string }>(list: T[], id: string): T {
  const found = list.find((x) => x.id.toLowerCase() === id.toLowerCase());
  if (!found) throw new ScimError(404, null, 'Resource not found');
  return found;
}

const MAX_PAGE_INTEGER = 999_999_999;

/** RFC 7644 §3.4.2: `filter`, 1-based `startIndex` (default 1), `count` (default 100). */
function listQuery(url: URL): ListQuery {
  const int = (name: string, fallback: number) => {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === '') return fallback;
    if (!/^-?\d+$/.test(raw)) throw new ScimError(400, 'invalidValue', `${name} must be an integer`);
    // Any integer is a page (RFC 7644 §3.4.2.4: a count past the maximum gets the maximum); one past
    // 9 digits is clamped there, so none becomes an unsafe or exponent-form number.
    return Math.max(-MAX_PAGE_INTEGER, Math.min(MAX_PAGE_INTEGER, Number(raw)));
  };
  return {
    filter: url.searchParams.get('filter'),
    startIndex: int('startIndex', 1),
    count: int('count', DEFAULT_COUNT),
  };
}

async function readBody(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  // JSON only: a form or text/plain POST is what a cross-site page could send.
  if (!/^application\/(scim\+)?json\s*(;.*)?$/i.test(type))
    throw new ScimError(
      415,
      'invalidSyntax',
      'Content-Type must be application/scim+json or application/json',
    );
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) throw new ScimError(413, null, 'Request body too large');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ScimError(400, 'invalidSyntax', 'The body is not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ScimError(400, 'invalidSyntax', 'The body is not valid JSON');
  }
  checkBodyValues(body, '', 0);
  return body;
}

/** SCIM resources nest a few levels (an extension's `manager.value`); nothing needs more than this. */
const MAX_BODY_DEPTH = 32;

/**
 * Every string of a body, names included, must be text PostgreSQL can store: a NUL failed inside
 * the database and a lone surrogate was stored as U+FFFD (docs/limits.md). And a body may nest at
 * most MAX_BODY_DEPTH levels: thousands of `[` parse as JSON but overflowed the stack of every
 * walk after it (a 500). Checked once here, so nothing further sees either.
 */
function checkBodyValues(value: unknown, at: string, depth: number): void {
  const check = (text: string, where: string) => {
    const why = unstorableText(text);
    if (why) throw new ScimError(400, 'invalidValue', `${where || 'The body'} ${why}`);
  };
  if (typeof value === 'string') check(value, at);
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_BODY_DEPTH)
    throw new ScimError(400, 'invalidSyntax', `The body nests deeper than ${MAX_BODY_DEPTH} levels`);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) checkBodyValues(v, `${at}[${i}]`, depth + 1);
    return;
  }
  for (const [name, v] of Object.entries(value)) {
    check(name, `The name of an attribute in ${at || 'the body'}`);
    checkBodyValues(v, at ? `${at}.${name}` : name, depth + 1);
  }
}
