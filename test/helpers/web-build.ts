import { buildWeb, webBuildIsFresh } from '../../scripts/build-web.ts';

/** Builds web/dist (the embed app and the SDK) when it is missing or older than its sources. */
export async function ensureWebBuilt(): Promise<void> {
  if (!webBuildIsFresh()) await buildWeb();
}
