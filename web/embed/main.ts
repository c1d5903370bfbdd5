// Entry point of the embed page (GET /embed/dashboards/:id). The server describes the page in a
// <meta name="tessera-embed"> JSON blob: dashboard id, the workspace it was framed for, that
// workspace's allowed embed origins, and the token issuer.

import { EMBED_CONFIG_META, type EmbedPageConfig } from '../../src/shared/embed-page.ts';
import { EMBED_PROTOCOL_VERSION } from '../../src/shared/embed-protocol.ts';
import { DEFAULT_RENEW_LEAD_SECONDS, RENEW_LEAD_BOUNDS_SECONDS } from '../../src/shared/limits.ts';
import { ServerClock, TesseraApi } from './api.ts';
import { DashboardPage } from './dashboard/dashboard.ts';
import { decodeToken, SessionTokenVerifier } from './jwt.ts';
import { ParentChannel } from './parent.ts';
import { EmbeddedSession, STORAGE_KEY } from './session.ts';
import { SessionPage } from './view.ts';

type PageConfig = EmbedPageConfig;

function readConfig(): PageConfig {
  const meta = document.querySelector<HTMLMetaElement>(`meta[name="${EMBED_CONFIG_META}"]`);
  return JSON.parse(meta?.content ?? '{}') as PageConfig;
}

/** `?renewLead=<seconds>` (or `data-renew-lead` on the root element) overrides the 10-second lead. */
function renewLeadMs(url: URL, root: HTMLElement): number {
  const raw = url.searchParams.get('renewLead') ?? root.dataset.renewLead ?? '';
  const seconds = Number(raw);
  return (
    (raw !== '' &&
    Number.isFinite(seconds) &&
    seconds >= RENEW_LEAD_BOUNDS_SECONDS.min &&
    seconds <= RENEW_LEAD_BOUNDS_SECONDS.max
      ? seconds
      : DEFAULT_RENEW_LEAD_SECONDS) * 1000
  );
}

/**
 * The token from `?token=` always wins; otherwise the one kept in localStorage, provided it is for
 * the workspace the page was framed for. Either way the token leaves the address bar at once
 * (no Referer or history leak); `?ws=` stays so a reload is framed for the same workspace.
 */
function takeToken(url: URL, config: PageConfig): string | null {
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    url.searchParams.delete('token');
    if (config.workspaceId) url.searchParams.set('ws', config.workspaceId);
    history.replaceState(history.state, '', url);
    return fromUrl;
  }
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
  if (stored === null) return null;
  const wid = decodeToken(stored)?.payload.wid;
  return config.workspaceId === null || wid === config.workspaceId ? stored : null;
}

async function main(): Promise<void> {
  const root = document.getElementById('tessera-app');
  if (!root) return;
  const config = readConfig();
  const url = new URL(location.href);
  const clock = new ServerClock();
  const api = new TesseraApi(new URL('/graphql', location.origin).toString(), clock);
  const verifier = new SessionTokenVerifier({
    issuer: config.issuer,
    jwksUrl: new URL('/.well-known/jwks.json', location.origin).toString(),
    now: () => clock.now(),
  });
  const channel = new ParentChannel(config.allowedOrigins);
  const token = takeToken(url, config);
  let session: EmbeddedSession;
  const dashboard = new DashboardPage({
    api,
    dashboardId: config.dashboardId,
    token: () => session.activeToken,
    unauthorized: (t) => session.unauthorized(t),
    post: (m) => channel.post(m),
  });
  const page = new SessionPage(root, config.dashboardId, dashboard.element);
  // The session panel opens by itself when there is no dashboard to show.
  new MutationObserver(() => {
    const status = dashboard.status;
    page.panel.open = status === 'missing' || status === 'forbidden' || status === 'failed';
  }).observe(dashboard.element, { attributes: true, attributeFilter: ['data-status'] });
  let wasActive = false;
  session = new EmbeddedSession({
    api,
    verifier,
    channel,
    clock,
    workspaceId: config.workspaceId,
    renewLeadMs: renewLeadMs(url, root),
    onChange: (state) => {
      page.render(state);
      tick();
      const active = state.kind === 'active';
      if (active !== wasActive || (active && dashboard.status === 'idle')) dashboard.sessionChanged(active);
      wasActive = active;
    },
  });
  const tick = () => {
    const exp = session.expiresAtMs;
    page.tick(exp === null ? null : Math.ceil((exp - clock.now()) / 1000));
  };
  setInterval(tick, 1000);
  channel.onHostMessage((m) => {
    if (m.type === 'JWT_TOKEN_RESPONSE') session.offer(m.token);
    else if (m.type === 'TESSERA_SET_FILTERS') dashboard.setFilters(m.filters);
    else dashboard.setTheme(m.theme);
  });
  channel.post({ type: 'TESSERA_READY', version: EMBED_PROTOCOL_VERSION });
  await session.start(token);
}

void main();
