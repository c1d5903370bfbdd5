import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  readonly from: string;
  readonly to: readonly string[];
  /** The message as sent (headers and body), CRLF line ends. */
  readonly raw: string;
  readonly user: string | undefined;
}

export interface TestSmtpServer {
  /** `smtp://user:pass@127.0.0.1:PORT`, ready for SMTP_URL. */
  readonly url: string;
  readonly received: ReceivedMail[];
  /** Recipients the server has been asked to take (accepted or not), in order. */
  readonly attempts: string[];
  /** SMTP reply codes to refuse the next recipients with, one per attempt (e.g. [451, 550]). */
  rejectNext(...codes: number[]): void;
  /** Refuse every recipient with this code from now on (null: accept again). */
  rejectAll(code: number | null): void;
  /** Hold each message this long before accepting it, to keep a delivery in flight. */
  delayMs: number;
  close(): Promise<void>;
}

/** A real SMTP server on loopback (port 0) that records what it receives; plain text, AUTH PLAIN/LOGIN. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const attempts: string[] = [];
  const queue: number[] = [];
  let always: number | null = null;
  const state = { delayMs: 0 };
  const refusal = (code: number) =>
    Object.assign(new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: code });
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'tessera' && auth.password === 'secret') callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      attempts.push(address.address);
      const code = queue.shift() ?? always;
      callback(code === null ? undefined : refusal(code));
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        setTimeout(() => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            user: typeof session.user === 'string' ? session.user : undefined,
          });
          callback();
        }, state.delayMs);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://tessera:secret@127.0.0.1:${port}`,
    received,
    attempts,
    rejectNext: (...codes) => queue.push(...codes),
    rejectAll: (code) => {
      always = code;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
