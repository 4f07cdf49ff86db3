// The one-machine mail server: a real SMTP server on loopback (smtp-server) that keeps every
// message it accepts as an .eml file in a mailbox folder, for developers and the admin server.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SMTPServer } from 'smtp-server';
import { onFirstUse } from '../../../core/load-on-first-use.js';

const smtpServer = onFirstUse<typeof import('smtp-server')>('smtp-server');

export interface LocalMailbox {
  port: number;
  url: string;
  /** Messages in the mailbox, oldest first (raw RFC 5322 text). */
  messages(): string[];
  close(): Promise<void>;
}

export async function startLocalMailbox(dir: string, options: { port?: number; reject?: () => string | undefined } = {}): Promise<LocalMailbox> {
  mkdirSync(dir, { recursive: true });
  let counter = 0;
  const server = new (smtpServer().SMTPServer)({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        // A test can make this server refuse mail the way a full mailbox or a relay would.
        const refusal = options.reject?.();
        if (refusal) {
          const error = new Error(refusal) as Error & { responseCode: number };
          error.responseCode = 451;
          callback(error);
          return;
        }
        writeFileSync(join(dir, `${Date.now()}-${String(++counter).padStart(6, '0')}.eml`), Buffer.concat(chunks));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages: () => readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => readFileSync(join(dir, f), 'utf8')),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
