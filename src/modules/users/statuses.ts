/**
 * The statuses whose users hold no session of any kind: session tokens, web sessions and sign-ins
 * all fail on their next request, and none is started (docs/sessions.md "Ending sessions").
 * INACTIVE is what an identity provider's deactivation sets (SCIM `active: false`).
 */
export const SIGNED_OUT_STATUSES: ReadonlySet<string> = new Set(['SUSPENDED', 'DELETED', 'INACTIVE']);
