// What a `steveslist` command is: the dispatcher (cli.ts) lists them and every command file implements
// one, so the type lives apart from both (a command importing the dispatcher made a cycle).
import type { Config } from '../core/config/index.js';
import type { Logger } from '../core/log.js';

export interface CommandContext {
  config: Config;
  log: Logger;
  args: string[];
  /** Registers cleanup that must run if the user interrupts (stopping the private MariaDB). */
  onInterrupt(cleanup: () => Promise<void>): void;
}

export interface OptionHelp {
  /** As typed, with its value: `--users N`. */
  flag: string;
  help: string;
  default?: string | number;
}

export interface Command {
  summary: string;
  usage: string;
  /** Listed by --help with their defaults. */
  options?: OptionHelp[];
  /** Command lines to copy, shown by --help. */
  examples: string[];
  /** Handles SIGINT/SIGTERM itself (shuts down in order) instead of the default interrupt. */
  longRunning?: boolean;
  run(context: CommandContext): Promise<number | void>;
}
