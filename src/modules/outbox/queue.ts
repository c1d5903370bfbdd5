import type { Executor } from '../../db/index.ts';
import { newId } from '../../ids.ts';
import { insertMessages } from './queries.ts';

export interface OutgoingMessage {
  readonly workspaceId: string | null;
  readonly kind: string;
  readonly recipient: string;
  readonly subject: string;
  readonly body: string;
}

/**
 * Queues messages in the caller's transaction: the email exists exactly when the change that
 * caused it was committed (the transactional outbox pattern). A sender delivers them later.
 */
export async function enqueueMessages(
  db: Executor,
  messages: readonly OutgoingMessage[],
  at: Date,
): Promise<void> {
  const rows = messages.map((m) => ({
    id: newId('msg'),
    workspace_id: m.workspaceId,
    kind: m.kind,
    recipient: m.recipient,
    subject: m.subject,
    body: m.body,
    next_attempt_at: at,
    created_at: at,
  }));
  await insertMessages(db, rows);
}

/** The welcome email of a new user, who `email` is, in `workspaceName`. */
export interface WelcomeEmail {
  readonly workspaceId: string;
  readonly workspaceName: string;
  readonly email: string;
  readonly publicUrl: string;
  /** A one-time sign-in link (docs/sso.md "Email sign-in links"), when there is one. */
  readonly signInLink?: string | null;
}

export function welcomeEmail(welcome: WelcomeEmail): OutgoingMessage {
  const { workspaceId, workspaceName, email, publicUrl, signInLink = null } = welcome;
  const link = signInLink
    ? `\nOr sign in directly with this link (it works once, for 24 hours):\n${signInLink}\n`
    : '';
  return {
    workspaceId,
    kind: 'welcome',
    recipient: email,
    subject: `Welcome to ${workspaceName}`,
    body: `Hello,\n\nAn account for ${email} was created in the ${workspaceName} workspace.\nSign in at ${publicUrl}.\n${link}`,
  };
}
