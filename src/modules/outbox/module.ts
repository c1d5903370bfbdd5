import { Counter, Gauge } from 'prom-client';
import { defineModule } from '../../kernel/module.ts';
import type { Services } from '../../kernel/services.ts';
import { outboxCommand } from './command.ts';
import { countByState, OUTBOX_STATES } from './queries.ts';
import { outboxModule as outboxGraphql } from './resolvers.ts';
import { OutboxSender } from './sender.ts';
import { OutboxService } from './service.ts';
import { smtpMailer } from './smtp-mailer.ts';

/** This app's delivery loop: started by `start` in serving processes with `SMTP_URL` set. */
export class OutboxDelivery {
  #sender: OutboxSender | null = null;

  /** Registers the outbox gauges and, when this process delivers, starts the sender loop. */
  start(services: Pick<Services, 'db' | 'clock' | 'log' | 'config' | 'metrics'>, background: boolean): void {
    const { db, config, metrics } = services;
    new Gauge({
      name: 'tessera_outbox_messages',
      help: 'Outbox messages by state (QUEUED and SENDING: the queue depth; FAILED: given up).',
      labelNames: ['state'],
      registers: [metrics.registry],
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
      registers: [metrics.registry],
    });
    const url = config.smtp.url;
    if (!url || !background) return;
    this.#sender = new OutboxSender({
      db,
      clock: services.clock,
      mailer: smtpMailer(url, config.smtp.from),
      options: { ...config.outbox, onFailedAttempt: () => failures.inc() },
      log: services.log,
    });
    this.#sender.start();
  }

  /** Waits for an attempt in flight to be recorded, then stops the loop. */
  async stop(): Promise<void> {
    await this.#sender?.stop();
    this.#sender = null;
  }
}

declare module '../../kernel/services.ts' {
  interface Services {
    /** The outbox's messages, as the API and `tessera outbox` read them. */
    readonly outbox: OutboxService;
    /** This app's sender loop (running only in serving processes with `SMTP_URL`). */
    readonly outboxDelivery: OutboxDelivery;
  }
}

/**
 * Welcome-email delivery (table `outbox_messages`): the `outboxMessages` query, the `tessera
 * outbox` command, and the sender loop, which runs in serving processes when `SMTP_URL` is set
 * (without it, messages stay QUEUED until an instance with SMTP configured picks them up).
 */
export const outboxModule = defineModule({
  name: 'outbox',
  needs: [],
  provides: ['outbox', 'outboxDelivery'],
  create: ({ db, clock }) => ({
    outbox: new OutboxService({ db, clock }),
    outboxDelivery: new OutboxDelivery(),
  }),
  graphql: outboxGraphql(),
  commands: [outboxCommand],
  async start(services, { background }) {
    services.outboxDelivery.start(services, background);
  },
  async stop({ outboxDelivery }) {
    await outboxDelivery.stop();
  },
});
