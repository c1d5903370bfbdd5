import { AppError } from '../../errors.ts';

/** RFC 7644 §3.12 `scimType` values Tessera answers with. */
export type ScimType =
  | 'invalidFilter'
  | 'invalidPath'
  | 'invalidSyntax'
  | 'invalidValue'
  | 'mutability'
  | 'noTarget'
  | 'uniqueness'
  | 'tooMany';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A SCIM error response (docs/scim.md "Errors"). Thrown before anything is written. */
export class ScimError extends Error {
  override readonly name = 'ScimError';
  readonly status: number;
  readonly scimType: ScimType | null;

  constructor(status: number, scimType: ScimType | null, detail: string) {
    super(detail);
    this.status = status;
    this.scimType = scimType;
  }
}

export const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);
export const notFoundError = (detail = 'Resource not found') => new ScimError(404, null, detail);

export function scimResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': SCIM_CONTENT_TYPE, ...headers },
  });
}

export function errorBody(status: number, scimType: ScimType | null, detail: string) {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  };
}

/**
 * A thrown error as a SCIM response. Tessera's own errors keep their meaning (a taken userName is
 * 409 uniqueness, a value of the wrong type 400 invalidValue); anything else is rethrown, so the
 * server's one boundary masks it.
 */
export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  if (err instanceof AppError) {
    switch (err.code) {
      case 'CONFLICT':
        return new ScimError(409, 'uniqueness', err.message);
      case 'NOT_FOUND':
        return new ScimError(
          err.problems.length > 0 ? 400 : 404,
          err.problems.length > 0 ? 'invalidValue' : null,
          err.message,
        );
      case 'BAD_USER_INPUT':
      case 'ATTRIBUTE_TYPE_MISMATCH':
        return new ScimError(400, 'invalidValue', err.message);
      case 'PAYLOAD_TOO_LARGE':
        return new ScimError(413, null, err.message);
      default:
        break;
    }
  }
  throw err;
}
