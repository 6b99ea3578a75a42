/**
 * The run's MailDev (started by global-setup.ts, shared by every project):
 * reads what Tessera sent through its JSON API (`GET /api/email`). Projects
 * use different addresses, so everything here is filtered by recipient.
 */

export interface MailAddress {
  address: string;
  name: string;
}

/** One message as MailDev 3 lists it (the fields the tests use). */
export interface ReceivedMail {
  id: string;
  /** When MailDev received it (ISO 8601). */
  time: string;
  subject: string;
  from: MailAddress[];
  to: MailAddress[];
  text: string;
  html: string;
}

export interface MailQuery {
  /** Recipient address (compared case-insensitively). */
  to: string;
  /** The exact subject. */
  subject: string;
  /** Text the plain-text body must contain (or match). */
  text?: string | RegExp;
  /** Only messages received at or after this time (ms since the epoch). */
  since?: number;
}

const POLL_MS = 250;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class MailDev {
  /** `url`: MailDev's web/API root, from servers.json (`server.mailURL`). */
  constructor(readonly url: string) {}

  /** Every message MailDev holds, oldest first. */
  async all(): Promise<ReceivedMail[]> {
    const res = await fetch(`${this.url}/api/email`, { signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) throw new Error(`GET ${this.url}/api/email answered ${res.status}`);
    const mails = (await res.json()) as ReceivedMail[];
    return mails.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  }

  /** The messages to `recipient`, oldest first. */
  async to(recipient: string): Promise<ReceivedMail[]> {
    const wanted = recipient.toLowerCase();
    return (await this.all()).filter((m) => (m.to ?? []).some((a) => a.address.toLowerCase() === wanted));
  }

  /** The messages matching `query`, oldest first (no waiting). */
  async find(query: MailQuery): Promise<ReceivedMail[]> {
    return (await this.to(query.to)).filter(
      (m) =>
        m.subject === query.subject &&
        (query.since === undefined || Date.parse(m.time) >= query.since) &&
        (query.text === undefined ||
          (typeof query.text === 'string' ? (m.text ?? '').includes(query.text) : query.text.test(m.text ?? ''))),
    );
  }

  /**
   * Polls until a message matching `query` has arrived (at most `timeoutMs`)
   * and returns the latest such message. On time-out the error lists what the
   * recipient did get.
   */
  async waitFor(query: MailQuery, timeoutMs = 15_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const found = await this.find(query);
        if (found.length > 0) return found[found.length - 1];
      } catch (e) {
        lastError = e;
      }
      if (Date.now() > deadline) break;
      await sleep(POLL_MS);
    }
    let got: string;
    try {
      got = (await this.to(query.to)).map((m) => `  ${m.time}  ${JSON.stringify(m.subject)}`).join('\n') || '  (nothing)';
    } catch (e) {
      got = `  (could not list: ${(e as Error).message})`;
    }
    throw new Error(
      `No mail to ${query.to} with subject ${JSON.stringify(query.subject)}` +
        (query.text !== undefined ? ` and text containing ${String(query.text)}` : '') +
        (query.since !== undefined ? ` since ${new Date(query.since).toISOString()}` : '') +
        ` arrived within ${timeoutMs / 1000} s` +
        (lastError ? ` (last error: ${(lastError as Error).message})` : '') +
        `. Mail to ${query.to} in ${this.url}:\n${got}`,
    );
  }
}
