import { errorResponse } from './router.ts';

/**
 * A request refused before it reaches a handler or resolver: the method, the media type, the size,
 * the encoding, the credential. Thrown by any step of the pipeline and answered in one place
 * (`refusalResponse`), so every refusal has the one error body (docs/api-contract.md §1).
 */
export class HttpRefusal extends Error {
  override readonly name = 'HttpRefusal';
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Every refusal Tessera answers before a handler runs, by name. */
export const refuse = {
  /** Every authentication failure, whatever went wrong: no oracle (docs/api-contract.md §1). */
  unauthenticated: () =>
    new HttpRefusal(401, 'UNAUTHENTICATED', 'Unauthorized', { 'www-authenticate': 'Bearer' }),
  notFound: () => new HttpRefusal(404, 'NOT_FOUND', 'Not found'),
  methodNotAllowed: (allow?: string) =>
    new HttpRefusal(405, 'BAD_REQUEST', 'Method not allowed', allow ? { allow } : {}),
  malformedPath: () => new HttpRefusal(400, 'BAD_REQUEST', 'Malformed path'),
  malformedRequest: () => new HttpRefusal(400, 'BAD_REQUEST', 'Malformed request'),
  notUtf8: () => new HttpRefusal(400, 'BAD_REQUEST', 'The request body is not valid UTF-8'),
  tooLarge: () => new HttpRefusal(413, 'PAYLOAD_TOO_LARGE', 'Request body too large'),
  notJson: () => new HttpRefusal(415, 'BAD_REQUEST', 'Content-Type must be application/json'),
  /** The media types it could ask for go in `Accept` (docs/limits.md "Transports"). */
  notAcceptable: (accept: string) =>
    new HttpRefusal(406, 'BAD_REQUEST', 'Not acceptable: ask for one of the media types in Accept', {
      accept,
    }),
};

/** The one body of a refusal. */
export function refusalResponse(refusal: HttpRefusal): Response {
  const response = errorResponse(refusal.status, refusal.code, refusal.message);
  for (const [name, value] of Object.entries(refusal.headers)) response.headers.set(name, value);
  return response;
}

const unauthenticated = refuse.unauthenticated();
/** The body every authentication failure gets, byte for byte (what `refusalResponse` writes for it). */
export const UNAUTHORIZED_BODY = JSON.stringify({
  errors: [{ message: unauthenticated.message, extensions: { code: unauthenticated.code } }],
  data: null,
});
