import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

/**
 * A real SMTP server for tests (the `smtp-server` package) on 127.0.0.1 and
 * a free port. Every message it accepts is parsed with `mailparser` and kept;
 * for a given recipient the test can script the next answers: a 4xx or 5xx
 * reply, a dropped connection, or holding the DATA reply until released.
 */
export type PlannedAnswer = 'accept' | 'drop' | 'hold' | { code: number; message: string };

export interface AcceptedMail {
  mail: ParsedMail;
  messageId: string;
  to: string[];
  /** Whether the session had upgraded to TLS (STARTTLS) when DATA came. */
  secure: boolean;
  /** The user it logged in as, when it did. */
  user: string | undefined;
}

export interface SmtpTestServerOptions {
  /** PEM key and certificate: offers STARTTLS with them (otherwise STARTTLS is disabled). */
  tls?: { key: string; cert: string };
  /** Requires AUTH PLAIN/LOGIN with these, after STARTTLS. */
  auth?: { user: string; pass: string };
}

export class SmtpTestServer {
  readonly accepted: AcceptedMail[] = [];
  /** Every DATA the server received, accepted or not, by recipient. */
  readonly attempts = new Map<string, number>();
  private readonly plans = new Map<string, PlannedAnswer[]>();
  private readonly held: Array<() => void> = [];
  private heldWaiters: Array<() => void> = [];
  private server: SMTPServer | undefined;
  port = 0;

  constructor(private readonly options: SmtpTestServerOptions = {}) {}

  async start(): Promise<this> {
    const { tls, auth } = this.options;
    const options: SMTPServerOptions = {
      logger: false,
      disabledCommands: [...(tls === undefined ? ['STARTTLS'] : []), ...(auth === undefined ? ['AUTH'] : [])],
      authOptional: auth === undefined,
      ...(tls === undefined ? {} : { key: tls.key, cert: tls.cert }),
      onAuth: (credentials, _session, callback) => {
        if (auth !== undefined && credentials.username === auth.user && credentials.password === auth.pass)
          return callback(null, { user: credentials.username });
        return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onData: (stream, session, callback) => this.onData(stream, session, callback),
    };
    const server = new SMTPServer(options);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    return this;
  }

  /** `smtp://[user:pass@]127.0.0.1:port` for RIPOSTE_SMTP_URL. */
  url(credentials?: { user: string; pass: string }): string {
    const userinfo = credentials === undefined ? '' : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@`;
    return `smtp://${userinfo}127.0.0.1:${this.port}`;
  }

  /** The next answers to DATA for messages to `recipient`, in order; then it accepts. */
  plan(recipient: string, ...answers: PlannedAnswer[]): void {
    this.plans.set(recipient.toLowerCase(), [...(this.plans.get(recipient.toLowerCase()) ?? []), ...answers]);
  }

  /** Resolves once `count` DATA replies are being held. */
  async whenHeld(count = 1): Promise<void> {
    while (this.held.length < count) await new Promise<void>((resolve) => this.heldWaiters.push(resolve));
  }

  /** Answers every held DATA with a 451, so that nothing held counts as accepted. */
  releaseHeld(): void {
    for (const release of this.held.splice(0)) release();
  }

  acceptedTo(recipient: string): AcceptedMail[] {
    return this.accepted.filter((entry) => entry.to.includes(recipient.toLowerCase()));
  }

  async stop(): Promise<void> {
    this.releaseHeld();
    const server = this.server;
    if (server === undefined) return;
    for (const connection of server.connections) connection._socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void): void {
    const to = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase());
    const recipient = to[0] ?? '';
    this.attempts.set(recipient, (this.attempts.get(recipient) ?? 0) + 1);
    const answer = this.plans.get(recipient)?.shift() ?? 'accept';
    void simpleParser(stream).then(
      (mail) => {
        if (answer === 'accept') {
          this.accepted.push({
            mail,
            messageId: mail.messageId ?? '',
            to,
            secure: session.secure,
            user: session.user as string | undefined,
          });
          return callback();
        }
        if (answer === 'drop') {
          for (const connection of this.server?.connections ?? []) if (connection.id === session.id) connection._socket.destroy();
          return undefined;
        }
        if (answer === 'hold') {
          this.held.push(() => callback(Object.assign(new Error('Held, then refused'), { responseCode: 451 })));
          for (const wake of this.heldWaiters.splice(0)) wake();
          return undefined;
        }
        return callback(Object.assign(new Error(answer.message), { responseCode: answer.code }));
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }
}
