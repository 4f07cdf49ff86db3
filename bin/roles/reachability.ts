// Start-up checks for the servers a role talks to that do not check themselves on connect: a
// ClickHouse server and an SMTP relay. A failure names the setting; "not listening yet" is
// retriable (waitForService waits for it), a refused password is not.
import { redactUrl } from '../../core/config/index.js';
import { EnvironmentError, ServiceUnavailable } from '../../core/errors.js';
import { onFirstUse } from '../../core/load-on-first-use.js';
import type { ClickHouseClient } from '../../warehouse/index.js';

const nodemailer = onFirstUse<typeof import('nodemailer')>('nodemailer');

const NOT_LISTENING = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNECTION', 'ESOCKET']);

function codeOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  return typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
}

export async function checkClickHouse(client: ClickHouseClient, url: string): Promise<void> {
  try {
    await (await client.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json();
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    if (NOT_LISTENING.has(codeOf(error) ?? '') || /timeout/i.test(message ?? '')) {
      throw new ServiceUnavailable(`CLICKHOUSE_URL: cannot reach ClickHouse at ${redactUrl(url)}: ${message}`, { cause: error });
    }
    throw new EnvironmentError(`CLICKHOUSE_URL: ClickHouse at ${redactUrl(url)} refused the check query (CLICKHOUSE_USER, CLICKHOUSE_PASSWORD?): ${message}`, { cause: error });
  }
}

/** Connects, says EHLO and logs in when the URL carries a user, as sending will. */
export async function checkSmtp(url: string): Promise<void> {
  const transport = nodemailer().createTransport(url, { connectionTimeout: 10_000, greetingTimeout: 10_000 } as never);
  try {
    await transport.verify();
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    if (codeOf(error) === 'EAUTH') throw new EnvironmentError(`SMTP_URL: the relay at ${redactUrl(url)} refused the login: ${message}`, { cause: error });
    if (NOT_LISTENING.has(codeOf(error) ?? '')) throw new ServiceUnavailable(`SMTP_URL: cannot reach the relay at ${redactUrl(url)}: ${message}`, { cause: error });
    throw new EnvironmentError(`SMTP_URL: the relay at ${redactUrl(url)} failed the check: ${message}`, { cause: error });
  } finally {
    transport.close();
  }
}
