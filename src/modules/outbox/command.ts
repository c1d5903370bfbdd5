import { type CliCommand, flag, jsonOption, UsageError, workspaceOption } from '../../kernel/command.ts';
import { OUTBOX_STATES, type OutboxMessage, type OutboxState } from './queries.ts';

const USAGE =
  'tessera outbox [list] [--state QUEUED|SENDING|SENT|FAILED] [--workspace ID] [--limit N] [--json]\n' +
  '  tessera outbox retry MESSAGE_ID';

/** `tessera outbox`: what the welcome-email sender has queued, sent and given up on. */
export const outboxCommand: CliCommand = {
  name: 'outbox',
  summary: 'List outgoing emails and their delivery state; retry a FAILED one.',
  usage: USAGE,
  defaultSubcommand: 'list',
  subcommands: [
    {
      name: 'list',
      summary: 'Outgoing emails, newest first, with their state, attempts and last error.',
      options: [
        { name: 'state', type: 'string', value: 'STATE', description: 'QUEUED, SENDING, SENT or FAILED' },
        workspaceOption,
        { name: 'limit', type: 'string', value: 'N', description: 'at most N messages (default 100)' },
        jsonOption,
      ],
    },
    { name: 'retry', summary: 'Put a FAILED message back in the queue.', arguments: ['MESSAGE_ID'] },
  ],
  async run(args, env) {
    const [sub = 'list', id] = args.positional;
    if (sub !== 'list' && sub !== 'retry') throw new UsageError(USAGE);
    if (sub === 'retry' && !id) throw new UsageError(USAGE);
    const state = flag(args, 'state')?.toUpperCase();
    if (state !== undefined && !(OUTBOX_STATES as readonly string[]).includes(state))
      throw new UsageError(`--state must be one of ${OUTBOX_STATES.join(', ')}`);
    const limit = Number(flag(args, 'limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError('--limit must be an integer from 1 to 10000');

    const app = await env.openApp();
    try {
      const outbox = app.services.outbox;
      if (sub === 'retry') {
        await outbox.retry(id!);
        env.io.err(`Requeued ${id}; it will be sent on the sender's next pass.`);
        return 0;
      }
      const page = await outbox.messages({
        workspaceId: flag(args, 'workspace') ?? null,
        state: (state as OutboxState | undefined) ?? null,
        first: limit,
      });
      if (args.flags.has('json')) {
        env.io.out(JSON.stringify(page.rows.map(toJson)));
        return 0;
      }
      if (!app.config.smtp.url) env.io.err('SMTP_URL is not set: messages stay QUEUED until it is.');
      if (page.rows.length === 0) {
        env.io.err('No messages.');
        return 0;
      }
      env.io.out(
        [
          'ID'.padEnd(30),
          'STATE'.padEnd(7),
          'TRIES',
          'NEXT ATTEMPT'.padEnd(24),
          'RECIPIENT / LAST ERROR',
        ].join('  '),
      );
      for (const m of page.rows) {
        const next = nextAttempt(m) ?? '-';
        env.io.out(
          [
            m.id.padEnd(30),
            m.state.padEnd(7),
            String(m.attempts).padStart(5),
            next.padEnd(24),
            m.recipient,
          ].join('  '),
        );
        if (m.last_error && m.state !== 'SENT') env.io.out(`${' '.repeat(75)}${m.last_error}`);
      }
      if (page.hasNextPage) env.io.err(`(showing the newest ${limit}; use --limit for more)`);
      return 0;
    } finally {
      await app.close();
    }
  },
};

const nextAttempt = (m: OutboxMessage): string | null =>
  m.state === 'QUEUED' || m.state === 'SENDING' ? m.next_attempt_at.toISOString() : null;

function toJson(m: OutboxMessage) {
  return {
    id: m.id,
    workspaceId: m.workspace_id,
    kind: m.kind,
    recipient: m.recipient,
    subject: m.subject,
    state: m.state,
    attempts: m.attempts,
    nextAttemptAt: nextAttempt(m),
    lastError: m.last_error,
    createdAt: m.created_at.toISOString(),
    sentAt: m.sent_at?.toISOString() ?? null,
  };
}
