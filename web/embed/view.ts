// Renders the session page with DOM APIs only (textContent, never innerHTML): emails and
// attribute values are user data.

import type { SessionState } from './session.ts';

type Child = Node | string;

function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

const EXPIRED_TEXT: Record<string, string> = {
  NO_TOKEN: 'No session. Waiting for the host application to provide one…',
  INVALID_TOKEN: 'The session token is not valid. Waiting for a new one…',
  TOKEN_MISMATCH: 'The session token does not belong to this embed. Waiting for a new one…',
  TOKEN_REJECTED: 'The session was ended by the server. Waiting for a new one…',
};

/**
 * The session part of the page: who is signed in and the countdown in the page header, the
 * banner for an expired session, and a "Session" panel with the token's user and effective
 * attributes (open when there is no dashboard to show).
 */
export class SessionPage {
  readonly #root: HTMLElement;
  readonly #countdown: HTMLElement;
  readonly #banner: HTMLElement;
  readonly #who: HTMLElement;
  readonly #body: HTMLElement;
  readonly panel: HTMLDetailsElement;

  constructor(root: HTMLElement, dashboardId: string, main: HTMLElement) {
    this.#root = root;
    this.#countdown = h('span', { class: 'countdown', 'data-role': 'countdown', 'aria-live': 'off' });
    this.#banner = h('p', { class: 'banner', 'data-role': 'banner', role: 'status', hidden: '' });
    this.#who = h('span', { class: 'who' });
    this.#body = h('div', { class: 'body' }, 'Loading…');
    this.panel = h(
      'details',
      { class: 'session-panel', 'data-role': 'session-panel' },
      h('summary', {}, 'Session ', h('code', {}, dashboardId)),
      this.#body,
    ) as HTMLDetailsElement;
    root.replaceChildren(
      h('header', { class: 'page-head' }, this.#who, this.#countdown),
      this.#banner,
      main,
      this.panel,
    );
  }

  render(state: SessionState): void {
    this.#root.dataset.state = state.kind;
    if (state.kind === 'expired') {
      this.#banner.hidden = false;
      this.#banner.textContent =
        EXPIRED_TEXT[state.reason] ?? 'Session expired. Waiting for the host application to renew it…';
    } else {
      this.#banner.hidden = true;
    }
    if (state.kind === 'loading') return;
    const view = state.view;
    const claims = state.claims;
    if (!view || !claims) {
      this.#body.replaceChildren();
      this.#who.replaceChildren();
      return;
    }
    this.#who.replaceChildren('Signed in as ', h('span', { 'data-role': 'email' }, view.user.email));
    const rows = view.attributes.map((a) =>
      h(
        'tr',
        { 'data-key': a.key },
        h('td', {}, a.key),
        h('td', {}, a.value),
        h('td', {}, a.source),
        h('td', {}, a.overridden.map((o) => `${o.source}: ${o.value}`).join(', ')),
      ),
    );
    this.#body.replaceChildren(
      h(
        'dl',
        {},
        h('dt', {}, 'User'),
        h('dd', {}, view.user.email),
        h('dt', {}, 'User id'),
        h('dd', { 'data-role': 'user-id' }, view.user.id),
        h('dt', {}, 'Workspace'),
        h('dd', { 'data-role': 'workspace' }, view.user.workspaceId),
        h('dt', {}, 'Token expires'),
        h('dd', { 'data-role': 'expires-at' }, new Date(claims.exp * 1000).toISOString()),
      ),
      h('h2', {}, 'Effective attributes'),
      rows.length === 0
        ? h('p', { 'data-role': 'no-attributes' }, 'No attributes.')
        : h(
            'table',
            { 'data-role': 'attributes' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, 'Key'),
                h('th', {}, 'Value'),
                h('th', {}, 'Source'),
                h('th', {}, 'Overrides'),
              ),
            ),
            h('tbody', {}, ...rows),
          ),
    );
  }

  /** Seconds left on the token, updated every second by main.ts. */
  tick(secondsLeft: number | null): void {
    this.#countdown.textContent =
      secondsLeft === null ? '' : secondsLeft > 0 ? `Session: ${secondsLeft} s left` : 'Session expired';
    this.#countdown.dataset.seconds = secondsLeft === null ? '' : String(Math.max(0, secondsLeft));
  }
}
