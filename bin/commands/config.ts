import { readConfig } from '../../core/config/index.js';
import { redactConfig } from '../../core/config/redact-config.js';
import type { Command } from '../command.js';

export const configCommand: Command = {
  summary: 'validate the settings and print the effective configuration (secrets hidden)',
  usage: 'steveslist config',
  examples: ['PORT=8080 npx steveslist config'],
  async run(context) {
    const { names } = readConfig(process.env, { tty: process.stdout.isTTY === true });
    const shown = redactConfig({
      ...context.config,
      mysql: { ...context.config.mysql, url: context.config.mysql.url ?? '(private MariaDB)' },
    });
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\nsettings read: ${names.join(', ')}\n`);
  },
};
