/** How often `onClientLeave` acts again while the work is still running. */
const AGAIN_MS = 500;

/**
 * While a request's work runs, `act` (cancel or kill its statement) runs when the request's client
 * goes away, and again every 500 ms until `dispose`: one that reaches the server between two
 * statements of the work ends nothing, and the next statement would run to its timeout.
 * `act` says whether it did anything; once it has (`acted`), the session it targeted must be
 * closed, never pooled, since an act that lands late ends whatever that session runs next.
 */
export function onClientLeave(
  signal: AbortSignal | undefined,
  act: () => boolean,
): { readonly acted: boolean; dispose(): void } {
  let acted = false;
  let again: ReturnType<typeof setInterval> | undefined;
  const actNow = () => {
    if (act()) acted = true;
  };
  const onAbort = () => {
    actNow();
    again = setInterval(actNow, AGAIN_MS);
    again.unref();
  };
  // A client already gone when the work starts acts at once: its 'abort' event is over.
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    get acted() {
      return acted;
    },
    dispose: () => {
      clearInterval(again);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
