import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';

/** What the outbox sender needs from a mail transport. */
export interface Mailer {
  send(message: { readonly to: string; readonly subject: string; readonly text: string }): Promise<void>;
  close(): void;
}

/**
 * SMTP delivery through nodemailer, from `SMTP_URL` (`smtp://user:pass@host:587`, or `smtps://`
 * for implicit TLS). Timeouts are kept well under the outbox lease so a hung server cannot make
 * two senders hold the same message.
 */
export function smtpMailer(url: string, from: string): Mailer {
  // nodemailer is loaded with the first message: a server that sends none never holds it in memory.
  let transport: Promise<Transporter<SMTPTransport.SentMessageInfo>> | null = null;
  const open = () =>
    (transport ??= import('nodemailer').then(({ createTransport }) =>
      createTransport(
        { url, connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 },
        { from },
      ),
    ));
  return {
    async send(message) {
      const info = await (await open()).sendMail({
        to: message.to,
        subject: message.subject,
        text: message.text,
      });
      // A server may accept the transaction but refuse the only recipient.
      if (info.rejected.length > 0 && info.accepted.length === 0) {
        throw new Error(`Recipient rejected: ${info.response ?? 'no response'}`);
      }
    },
    close: () => {
      void transport?.then((t) => t.close());
    },
  };
}

/** A short, single-line description of a delivery failure, kept as the message's `last_error`. */
export function describeDeliveryError(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 500);
  const e = err as Error & { code?: string; responseCode?: number; response?: string };
  const parts = [e.code, e.responseCode, e.response ?? e.message].filter((p) => p !== undefined && p !== '');
  return parts.join(' ').replace(/\s+/g, ' ').slice(0, 500);
}
