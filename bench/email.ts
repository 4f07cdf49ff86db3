// Email: queued messages rendered and sent over SMTP to the local mailbox (a real smtp-server on
// loopback), every status change recorded in MySQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../core/log.js';
import { createUser } from '../marketplace/domain/users.js';
import { createMysqlPool, type RowDataPacket } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { EmailSender } from '../pipelines/sinks/email/email-worker.js';
import { startLocalMailbox } from '../pipelines/sinks/email/local-mailbox.js';
import { measure, type BenchResult } from './table.js';

export async function* emailBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-email-'));
  const url = server.url('bench_email');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 12 });
  const mailbox = await startLocalMailbox(join(dir, 'mailbox'));
  const sender = new EmailSender({ pool, log: silentLogger(), smtpUrl: mailbox.url, pollMs: 20 });
  try {
    const user = await createUser(pool, { email: 'bench-mail@example.com', name: 'Mail Reader', passwordHash: 'x' });
    const total = 2000;
    const rows = Array.from({ length: total }, () => [user.id, randomUUID(), 'welcome', 'bench-mail@example.com', '', '{}', new Date()]);
    await pool.query('INSERT INTO email_messages (user_id, event_id, template, to_address, subject, data, next_attempt_at) VALUES ?', [rows]);
    const started = performance.now();
    sender.start();
    for (;;) {
      const [[row]] = await pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM email_messages WHERE status = 'sent'");
      if (Number(row!.n) >= total) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    yield measure('email: queued -> rendered -> sent over SMTP to the local mailbox', 'emails', total, performance.now() - started);
  } finally {
    await sender.stop();
    await mailbox.close();
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
