import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { Db, Executor } from '../../db/index.ts';
import { AppError } from '../../errors.ts';
import { newId } from '../../ids.ts';
import type { RequestMeta } from '../access-keys/service.ts';
import { type AuditOrigin, recordAudit } from '../audit/service.ts';
import type { CookieVerifier } from '../auth/authenticator.ts';
import type { SessionPrincipal } from '../auth/principal.ts';
import { enqueueMessages } from '../outbox/queue.ts';
import { clientAddressBucket } from '../sessions/client-address.ts';
import type { UserService } from '../users/service.ts';
import { SIGNED_OUT_STATUSES } from '../users/statuses.ts';
import type { WorkspaceService } from '../workspaces/service.ts';
import {
  type CookiePolicy,
  cookiePolicy,
  isSecret,
  newSecret,
  readCookie,
  sameOrigin,
  secretHash,
  setCookie,
} from './cookies.ts';
import * as q from './queries.ts';

/** docs/sso.md "Web sessions": the defaults. */
export const WEB_SESSION_LIMITS = {
  /** A session unused this long ends. */
  idleSeconds: 12 * 3600,
  /** A session ends this long after sign-in, however busy. */
  absoluteSeconds: 7 * 24 * 3600,
  /** The idle deadline is moved at most this often (one write a minute, not one a request). */
  extendEverySeconds: 60,
} as const;

/** docs/sso.md "Email sign-in links": the defaults. */
export const SIGN_IN_LINK_LIMITS = {
  /** A link asked for with requestSignInLink. */
  requestedTtlSeconds: 15 * 60,
  /** The link in a welcome email (it may be read a little later). */
  welcomeTtlSeconds: 24 * 3600,
  windowSeconds: 15 * 60,
  /** Requests per email address per window. */
  perEmail: 3,
  /** Requests per client IP per window. */
  perIp: 20,
} as const;

const SESSION_PREFIX = 'tws_';
const LINK_PREFIX = 'tsl_';

const invalidLink = () =>
  new AppError(
    'SIGN_IN_LINK_INVALID',
    'This sign-in link is not valid: it was used, has expired or is unknown',
  );

export interface StartedSession {
  readonly id: string;
  /** The `Set-Cookie` header value that hands the session to the browser. */
  readonly cookie: string;
  readonly expiresAt: Date;
}

/**
 * Browser sessions after a sign-in (docs/sso.md "Web sessions"): a random token in an HttpOnly
 * cookie, of which only the SHA-256 is stored; idle and absolute timeouts; revocable; a new token
 * at every sign-in. Also the email sign-in links (docs/sso.md "Email sign-in links"), which start
 * such a session.
 */
export class WebSessionService implements CookieVerifier {
  readonly cookie: CookiePolicy;
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #users: UserService;
  readonly #workspaces: WorkspaceService;
  readonly #publicUrl: string;

  constructor(deps: {
    db: Db;
    clock: Clock;
    users: UserService;
    workspaces: WorkspaceService;
    publicUrl: string;
  }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#users = deps.users;
    this.#workspaces = deps.workspaces;
    this.#publicUrl = deps.publicUrl;
    this.cookie = cookiePolicy(deps.publicUrl);
  }

  /**
   * Starts a session for a user who just signed in, in the caller's transaction. The session the
   * request came with (if any) is ended: a sign-in always gets a fresh token, so a cookie planted
   * before it (session fixation) is worth nothing after it.
   */
  async start(
    tx: Executor,
    user: { readonly id: string; readonly workspace_id: string },
    via: 'sso' | 'link',
    previous: Request | null,
  ): Promise<StartedSession> {
    const now = this.#clock.now();
    const old = previous ? this.#tokenOf(previous) : undefined;
    if (old) await q.revokeSessionByHash(tx, secretHash(old), now);
    const token = newSecret(SESSION_PREFIX);
    const id = newId('wss');
    const absolute = new Date(now.getTime() + WEB_SESSION_LIMITS.absoluteSeconds * 1000);
    await q.insertSession(tx, {
      id,
      token_hash: secretHash(token),
      user_id: user.id,
      workspace_id: user.workspace_id,
      via,
      at: now,
      idle_expires_at: this.#idleDeadline(now, absolute),
      absolute_expires_at: absolute,
    });
    return {
      id,
      cookie: setCookie(this.cookie, this.cookie.name, token, {
        maxAgeSeconds: WEB_SESSION_LIMITS.absoluteSeconds,
      }),
      expiresAt: absolute,
    };
  }

  /** The `Set-Cookie` value that removes the session cookie from the browser. */
  clearCookie(): string {
    return setCookie(this.cookie, this.cookie.name, '', { maxAgeSeconds: 0 });
  }

  /**
   * The principal of a request's session cookie (the Authenticator's CookieVerifier). The cookie
   * counts only on a same-origin request (see `sameOrigin`); elsewhere it is ignored, so a
   * cross-site page cannot act with it. A suspended or deleted user's sessions end here.
   */
  verify(request: Request, _meta: RequestMeta): Promise<SessionPrincipal | null | undefined> {
    return this.#principal(request, true);
  }

  /**
   * The signed-in user of a top-level page load (GET /sso/whoami), where browsers send no
   * Origin. Read-only, and a cross-site page cannot read the answer.
   */
  current(request: Request): Promise<SessionPrincipal | null | undefined> {
    return this.#principal(request, false);
  }

  async #principal(request: Request, checkOrigin: boolean): Promise<SessionPrincipal | null | undefined> {
    const raw = readCookie(request.headers.get('cookie'), this.cookie.name);
    if (raw === undefined || raw === '') return undefined;
    if (checkOrigin && !sameOrigin(request, this.cookie)) return undefined;
    if (!isSecret(raw, SESSION_PREFIX)) return null;
    const now = this.#clock.now();
    const session = await q.liveSession(this.#db, secretHash(raw), now);
    if (!session) return null;
    const [user, revokedAt] = await Promise.all([
      this.#users.find(session.workspace_id, session.user_id),
      this.#workspaces.sessionsRevokedAt(session.workspace_id),
    ]);
    // revokeSessions ends every session of the workspace started until then, web sessions too.
    const revoked = revokedAt !== null && session.created_at.getTime() <= revokedAt.getTime();
    if (!user || SIGNED_OUT_STATUSES.has(user.status) || revoked) {
      // Ended for good: making the user active again does not bring an old session back.
      await q.revokeSessionById(this.#db, session.id, now);
      return null;
    }
    if (now.getTime() - session.last_seen_at.getTime() >= WEB_SESSION_LIMITS.extendEverySeconds * 1000) {
      await q.extendSession(this.#db, session.id, now, this.#idleDeadline(now, session.absolute_expires_at));
    }
    return {
      kind: 'session',
      credential: 'webSession',
      userId: user.id,
      email: user.email,
      workspaceId: user.workspace_id,
      actorKeyId: null,
      transientAttributes: new Map(),
      tokenId: session.id,
      issuedAt: session.created_at,
      expiresAt: session.absolute_expires_at,
    };
  }

  /** Ends the session of the request's cookie (logout); whether there was one. */
  async endRequestSession(request: Request, origin: AuditOrigin): Promise<boolean> {
    const token = this.#tokenOf(request);
    if (!token) return false;
    return this.#db.transaction().execute(async (tx) => {
      const ended = await q.revokeSessionByHash(tx, secretHash(token), this.#clock.now());
      if (ended)
        await this.#audit(tx, origin, {
          action: 'webSession.logout',
          workspaceId: ended.workspace_id,
          userId: ended.user_id,
          sessionId: ended.id,
        });
      return ended !== undefined;
    });
  }

  /** Ends one session by id (the `logout` mutation of a cookie-authenticated request). */
  async end(sessionId: string, principal: SessionPrincipal, origin: AuditOrigin): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const ended = (await q.revokeSessionById(tx, sessionId, this.#clock.now())) > 0;
      if (ended)
        await this.#audit(tx, origin, {
          action: 'webSession.logout',
          workspaceId: principal.workspaceId,
          userId: principal.userId,
          sessionId,
        });
      return ended;
    });
  }

  /** Ends every session of a user (e.g. after a password-less account is taken over). */
  async endUserSessions(userId: string): Promise<number> {
    return q.revokeUserSessions(this.#db, userId, this.#clock.now());
  }

  /**
   * A one-time sign-in link for a user, stored (hashed) in the caller's transaction, so the link
   * exists exactly when the email carrying it is queued.
   */
  async issueSignInLink(
    tx: Executor,
    user: { readonly id: string; readonly workspace_id: string },
    ttlSeconds: number,
  ): Promise<string> {
    const token = newSecret(LINK_PREFIX);
    const now = this.#clock.now();
    await q.insertSignInLink(tx, {
      token_hash: secretHash(token),
      user_id: user.id,
      workspace_id: user.workspace_id,
      at: now,
      expires_at: new Date(now.getTime() + ttlSeconds * 1000),
    });
    return `${this.#publicUrl}/sso/link?token=${token}`;
  }

  /**
   * requestSignInLink: queues a sign-in link to the address if it belongs to an active user of the
   * workspace, and otherwise does nothing; the caller answers the same either way. Requests are
   * counted per address and per client IP whether or not the address exists (RATE_LIMITED past
   * the limit), so the limit tells nothing either.
   */
  async requestSignInLink(workspaceId: string | null, email: string, origin: AuditOrigin): Promise<void> {
    const now = this.#clock.now();
    const windowMs = SIGN_IN_LINK_LIMITS.windowSeconds * 1000;
    const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
    const workspace = workspaceId
      ? await this.#workspaces.find(workspaceId)
      : await this.#workspaces.ensureDefault();
    const normalized = email.trim().toLowerCase().slice(0, 320);
    const emailBucket = `email:${createHash('sha256')
      .update(`${workspace?.id ?? ''}\n${normalized}`)
      .digest('hex')}`;
    const [byEmail, byIp] = await Promise.all([
      q.countRequest(this.#db, emailBucket, windowStart),
      // Per client, not per address: an IPv6 client holds a whole /64 to rotate through.
      origin.ip ? q.countRequest(this.#db, `ip:${clientAddressBucket(origin.ip)}`, windowStart) : 0,
    ]);
    if (byEmail > SIGN_IN_LINK_LIMITS.perEmail || byIp > SIGN_IN_LINK_LIMITS.perIp) {
      throw new AppError('RATE_LIMITED', 'Too many sign-in link requests; try again later', {
        extra: {
          retryAfterSeconds: Math.max(
            1,
            Math.ceil((windowStart.getTime() + windowMs - now.getTime()) / 1000),
          ),
        },
      });
    }
    if (!workspace) return;
    const user = await this.#users.findByEmail(workspace.id, email).catch(() => undefined);
    if (!user || SIGNED_OUT_STATUSES.has(user.status)) return;
    await this.#db.transaction().execute(async (tx) => {
      const link = await this.issueSignInLink(tx, user, SIGN_IN_LINK_LIMITS.requestedTtlSeconds);
      await enqueueMessages(
        tx,
        [
          {
            workspaceId: workspace.id,
            kind: 'signInLink',
            recipient: user.email,
            subject: `Sign in to ${workspace.name}`,
            body: `Hello,\n\nSign in to the ${workspace.name} workspace with this link (it works once, for ${SIGN_IN_LINK_LIMITS.requestedTtlSeconds / 60} minutes):\n${link}\n\nIf you did not ask for it, ignore this email.\n`,
          },
        ],
        now,
      );
      await this.#audit(tx, origin, {
        action: 'signInLink.request',
        workspaceId: workspace.id,
        userId: user.id,
        sessionId: null,
      });
    });
    await q.pruneExpired(this.#db, new Date(now.getTime() - 2 * windowMs)).catch(() => undefined);
  }

  /**
   * Follows a sign-in link: marks it used (one request wins a race) and starts a session, in one
   * transaction. An unknown, used or expired link, or a user who may not sign in, all fail the
   * same way (SIGN_IN_LINK_INVALID).
   */
  async followSignInLink(token: string, request: Request, origin: AuditOrigin): Promise<StartedSession> {
    if (!isSecret(token, LINK_PREFIX)) throw invalidLink();
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (tx) => {
      const link = await q.consumeSignInLink(tx, secretHash(token), now);
      if (!link) throw invalidLink();
      const user = await this.#users.find(link.workspace_id, link.user_id, tx);
      if (!user || SIGNED_OUT_STATUSES.has(user.status)) throw invalidLink();
      const started = await this.start(tx, user, 'link', request);
      await this.#audit(tx, origin, {
        action: 'webSession.start',
        workspaceId: user.workspace_id,
        userId: user.id,
        sessionId: started.id,
        via: 'link',
      });
      return started;
    });
  }

  #tokenOf(request: Request): string | undefined {
    const raw = readCookie(request.headers.get('cookie'), this.cookie.name);
    return raw && isSecret(raw, SESSION_PREFIX) ? raw : undefined;
  }

  #idleDeadline(now: Date, absolute: Date): Date {
    return new Date(Math.min(now.getTime() + WEB_SESSION_LIMITS.idleSeconds * 1000, absolute.getTime()));
  }

  #audit(
    tx: Executor,
    origin: AuditOrigin,
    event: {
      readonly action: 'webSession.start' | 'webSession.logout' | 'signInLink.request';
      readonly workspaceId: string;
      readonly userId: string;
      readonly sessionId: string | null;
      readonly via?: 'link' | 'sso';
    },
  ): Promise<void> {
    const { action, workspaceId, userId, sessionId, via } = event;
    return recordAudit(
      tx,
      { ...origin, actorUserId: userId },
      {
        action,
        workspaceId,
        target: userId,
        details: { ...(via ? { via } : {}), ...(sessionId ? { sessionId } : {}) },
        at: this.#clock.now(),
      },
    );
  }
}
