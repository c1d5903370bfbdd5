import type { HttpContext, RouteHandler, Router } from '../../http/router.ts';
import type { AuditOrigin } from '../audit/service.ts';
import { bearerToken } from '../auth/authenticator.ts';
import { listOf, resourceTypes, schemas, serviceProviderConfig } from './discovery.ts';
import { errorBody, ScimError, scimResponse, toScimError } from './errors.ts';
import { DEFAULT_COUNT, type ListQuery, type ScimService } from './service.ts';

const BASE = '/scim/v2';
/** SCIM bodies are small; a larger one is refused before it is parsed. */
const MAX_BODY_BYTES = 1024 * 1024;

interface ScimRequest {
  readonly workspaceId: string;
  readonly origin: AuditOrigin;
  readonly baseUrl: string;
  readonly params: Record<string, string>;
  readonly url: URL;
  body(): Promise<unknown>;
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

  router.add(
    'GET',
    `${BASE}/Users`,
    route(async (r) => ok(await scim.listUsers(r.workspaceId, listQuery(r.url), r.baseUrl))),
  );
  router.add(
    'POST',
    `${BASE}/Users`,
    route(async (r) => located(await scim.createUser(r.workspaceId, await r.body(), r.origin, r.baseUrl))),
  );
  router.add(
    'GET',
    `${BASE}/Users/:id`,
    route(async (r) => ok(await scim.getUser(r.workspaceId, r.params.id!, r.baseUrl))),
  );
  router.add(
    'PUT',
    `${BASE}/Users/:id`,
    route(async (r) =>
      ok(await scim.replaceUser(r.workspaceId, r.params.id!, await r.body(), r.origin, r.baseUrl)),
    ),
  );
  router.add(
    'PATCH',
    `${BASE}/Users/:id`,
    route(async (r) =>
      ok(await scim.patchUser(r.workspaceId, r.params.id!, await r.body(), r.origin, r.baseUrl)),
    ),
  );
  router.add(
    'DELETE',
    `${BASE}/Users/:id`,
    route(async (r) => {
      await scim.deleteUser(r.workspaceId, r.params.id!, r.origin);
      return new Response(null, { status: 204 });
    }),
  );

  const withMembers = (url: URL) =>
    !(url.searchParams.get('excludedAttributes') ?? '')
      .split(',')
      .some((a) => a.trim().toLowerCase() === 'members');
  router.add(
    'GET',
    `${BASE}/Groups`,
    route(async (r) =>
      ok(await scim.listGroups(r.workspaceId, listQuery(r.url), r.baseUrl, withMembers(r.url))),
    ),
  );
  router.add(
    'POST',
    `${BASE}/Groups`,
    route(async (r) => located(await scim.createGroup(r.workspaceId, await r.body(), r.origin, r.baseUrl))),
  );
  router.add(
    'GET',
    `${BASE}/Groups/:id`,
    route(async (r) => ok(await scim.getGroup(r.workspaceId, r.params.id!, r.baseUrl, withMembers(r.url)))),
  );
  router.add(
    'PUT',
    `${BASE}/Groups/:id`,
    route(async (r) =>
      ok(await scim.replaceGroup(r.workspaceId, r.params.id!, await r.body(), r.origin, r.baseUrl)),
    ),
  );
  router.add(
    'PATCH',
    `${BASE}/Groups/:id`,
    route(async (r) =>
      ok(await scim.patchGroup(r.workspaceId, r.params.id!, await r.body(), r.origin, r.baseUrl)),
    ),
  );
  router.add(
    'DELETE',
    `${BASE}/Groups/:id`,
    route(async (r) => {
      await scim.deleteGroup(r.workspaceId, r.params.id!, r.origin);
      return new Response(null, { status: 204 });
    }),
  );
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

/** RFC 7644 §3.4.2: `filter`, 1-based `startIndex` (default 1), `count` (default 100). */
function listQuery(url: URL): ListQuery {
  const int = (name: string, fallback: number) => {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === '') return fallback;
    if (!/^-?\d{1,9}$/.test(raw)) throw new ScimError(400, 'invalidValue', `${name} must be an integer`);
    return Number(raw);
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
  try {
    return JSON.parse(text);
  } catch {
    throw new ScimError(400, 'invalidSyntax', 'The body is not valid JSON');
  }
}
