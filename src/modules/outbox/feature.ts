import { Counter, Gauge } from 'prom-client';
import type { Feature } from '../../app.ts';
import { outboxCommand } from './command.ts';
import { countByState, OUTBOX_STATES } from './queries.ts';
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
      const db = app.services.db;
      new Gauge({
        name: 'tessera_outbox_messages',
        help: 'Outbox messages by state (QUEUED and SENDING: the queue depth; FAILED: given up).',
        labelNames: ['state'],
        registers: [app.metrics.registry],
        async collect() {
          // A scrape during a database outage reports no sample rather than failing the page.
          const counts = await countByState(db).catch(() => null);
          this.reset();
          if (counts) for (const state of OUTBOX_STATES) this.set({ state }, counts[state]);
        },
      });
      const failures = new Counter({
        name: 'tessera_outbox_delivery_failures_total',
        help: 'Delivery attempts the SMTP server refused or that could not reach it.',
        registers: [app.metrics.registry],
      });
      const url = app.config.smtp.url;
      if (!url || !app.background) return;
      sender = new OutboxSender(
        db,
        app.services.clock,
        smtpMailer(url, app.config.smtp.from),
        { ...app.config.outbox, onFailedAttempt: () => failures.inc() },
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
