import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { addAdminUser } from '../../marketplace/auth/admin-accounts.js';
import { parseOptions } from '../args.js';
import type { Command } from '../command.js';
import { openDatabase } from './open-database.js';

export const adminCommand: Command = {
  summary: 'manage admin-service staff accounts (the password is read from standard input)',
  usage: 'echo "$PASSWORD" | steveslist admin add-user <username>',
  examples: ['echo "$ADMIN_PASSWORD" | npx steveslist admin add-user ana'],
  async run(context) {
    const { positionals } = parseOptions(context.args, {});
    const [action, username] = positionals;
    if (action !== 'add-user' || !username) throw new UsageError(`usage: ${adminCommand.usage}`);
    // From standard input, never an argument or variable: those show in process lists.
    const password = readFileSync(0, 'utf8').split('\n')[0]!.trim();
    if (password.length < 12) throw new UsageError('password: at least 12 characters, read from standard input');
    const db = await openDatabase(context, { connectionLimit: 1 });
    try {
      await addAdminUser(db.pool, username, password);
      process.stdout.write(`admin user ${username} created; log in with POST /admin/session\n`);
    } finally {
      await db.close();
    }
  },
};
