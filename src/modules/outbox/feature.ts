import type { Feature } from '../../app.ts';
import { outboxCommand } from './command.ts';
import { outboxModule } from './resolvers.ts';
import { OutboxSender } from './sender.ts';
import { smtpMailer } from './smtp-mailer.ts';

/**
 * Welcome-email delivery: the `outboxMessages` query, the `tessera outbox` command, and the
 * sender loop, which runs in serving processes when `SMTP_URL` is set (without it, messages
 * stay QUEUED until an instance with SMTP configured picks them up).
 */
export function outboxFeature(): Feature {
  let sender: OutboxSender | null = null;
  return {
    name: 'outbox',
    modules: [outboxModule()],
    commands: [outboxCommand],
    async start(app) {
      const url = app.config.smtp.url;
      if (!url || !app.background) return;
      sender = new OutboxSender(
        app.services.db,
        app.services.clock,
        smtpMailer(url, app.config.smtp.from),
        app.config.outbox,
        app.services.log,
      );
      sender.start();
    },
    async stop() {
      await sender?.stop();
      sender = null;
    },
  };
}
