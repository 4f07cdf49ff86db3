// What `steveslist <command> --help` and `steveslist help <command>` print.
import type { Command } from './command.js';

const HELP_OPTION = { flag: '-h, --help', help: 'show this help' };

/** The usage line, what the command does, every option with its default, and examples to copy. */
export function commandHelp(command: Command): string {
  const options = [...(command.options ?? []), HELP_OPTION];
  const width = Math.max(...options.map((option) => option.flag.length));
  return [
    `usage: ${command.usage}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    'options:',
    ...options.map((option) => `  ${option.flag.padEnd(width)}  ${option.help}${'default' in option && option.default !== undefined ? ` (default: ${option.default})` : ''}`),
    '',
    command.examples.length > 1 ? 'examples:' : 'example:',
    ...command.examples.map((example) => `  ${example}`),
    '',
    'Settings come from environment variables (and .env): `steveslist config` prints them, README.md lists them.',
  ].join('\n');
}
