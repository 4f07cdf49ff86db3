import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { addAdminUser, STAFF_ROLES, type StaffRole } from '../../marketplace/auth/admin-accounts.js';
import { parseOptions } from '../args.js';
import type { Command } from '../command.js';
import { openDatabase } from './open-database.js';

export const adminCommand: Command = {
  summary: 'manage admin-service staff accounts (the password is read from standard input)',
  usage: `echo "$PASSWORD" | steveslist admin add-user <username> [--role ${STAFF_ROLES.join('|')}] [--totp]`,
  options: [
    { flag: '--role <role>', help: `what the account may do: ${STAFF_ROLES.join(', ')}`, default: 'admin' },
    { flag: '--totp', help: 'require a second factor (RFC 6238 codes); prints the otpauth:// address once to add to an authenticator app' },
  ],
  examples: [
    'echo "$ADMIN_PASSWORD" | npx steveslist admin add-user ana',
    'echo "$PASSWORD" | npx steveslist admin add-user sam --role support --totp',
  ],
  async run(context) {
    const { positionals, values } = parseOptions(context.args, { role: { type: 'string' }, totp: { type: 'boolean' } });
    const [action, username] = positionals;
    if (action !== 'add-user' || !username) throw new UsageError(`usage: ${adminCommand.usage}`);
    const role = (values.role ?? 'admin') as StaffRole;
    if (!STAFF_ROLES.includes(role)) throw new UsageError(`--role: expected one of ${STAFF_ROLES.join(', ')}, got "${values.role}"`);
    // From standard input, never an argument or variable: those show in process lists.
    const password = readFileSync(0, 'utf8').split('\n')[0]!.trim();
    if (password.length < 12) throw new UsageError('password: at least 12 characters, read from standard input');
    const db = await openDatabase(context, { connectionLimit: 1 });
    try {
      const created = await addAdminUser(db.pool, username, password, { role, totp: values.totp === true });
      process.stdout.write(`admin user ${username} created with the ${role} role; log in at the admin service's / (the staff console) or with POST /admin/session\n`);
      if (created.totpUri) {
        // Shown once: only the account's own authenticator app keeps it from here on.
        process.stdout.write(`second factor: add this to an authenticator app now (it is not shown again):\n${created.totpUri}\n`);
      }
    } finally {
      await db.close();
    }
  },
};
