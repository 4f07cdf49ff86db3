// The `steveslist sql` prompt: a statement ends with ";" and may span lines; it is one history entry,
// so the up arrow recalls it whole, and the history is kept across sessions. Dot commands need no ";".
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export interface SqlPromptOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Whether input is a terminal (line editing, the up arrow); the caller's stdin's isTTY. */
  terminal: boolean;
  historyPath: string;
  /** Runs one statement; its result is printed, and its error as one line. */
  run(statement: string): Promise<string | Buffer>;
}

const HISTORY_SIZE = 1000;
const PROMPT = 'warehouse> ';
const CONTINUED = '        -> ';
const HELP = `Read-only SQL on the warehouse: databases raw (the marketplace's tables as change capture
loads them; add FINAL for the current rows) and marts (modelled tables for reports).
  SHOW TABLES FROM raw;               the tables
  DESCRIBE raw.listings;              a table's columns
  SELECT city, count() FROM raw.listings FINAL WHERE _is_deleted = 0 GROUP BY city;
A statement ends with ";" and may span lines; the up arrow recalls a whole statement.
Ctrl-C drops the statement being typed. Results print as chosen by --format.
  .help    this text
  .exit    leave (or Ctrl-D)
`;

/** One entry per line, as JSON so that a statement over several lines stays one entry; plain lines from before read as they are. */
function readHistory(path: string): string[] {
  if (!existsSync(path)) return [];
  const entries = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => {
    try {
      const entry: unknown = JSON.parse(line);
      return typeof entry === 'string' ? entry : line;
    } catch {
      return line;
    }
  });
  return entries.reverse().slice(0, HISTORY_SIZE);
}

export async function sqlPrompt(options: SqlPromptOptions): Promise<void> {
  const history = readHistory(options.historyPath);
  // readline would add each line as typed; the prompt adds whole statements itself (historySize 0).
  const rl = createInterface({ input: options.input, output: options.output, terminal: options.terminal, prompt: PROMPT, history, historySize: 0 });
  const write = (text: string | Buffer) => options.output.write(text);
  const remember = (entry: string) => {
    if (history[0] !== entry) history.unshift(entry);
    history.length = Math.min(history.length, HISTORY_SIZE);
  };
  let lines: string[] = [];
  const prompt = () => {
    rl.setPrompt(lines.length > 0 ? CONTINUED : PROMPT);
    rl.prompt();
  };
  rl.on('SIGINT', () => {
    write(lines.length > 0 ? '^C (statement dropped)\n' : '^C (.exit or Ctrl-D leaves)\n');
    lines = [];
    // Drops what was typed on the current line too (Ctrl-E then Ctrl-U, as readline binds them).
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    prompt();
  });

  write('Read-only SQL on the warehouse (databases raw, marts). End statements with ";"; .help for more, Ctrl-D to leave.\n');
  prompt();
  for await (const line of rl) {
    const dot = lines.length === 0 ? /^\s*\.([a-z]+)\s*;?\s*$/i.exec(line) : null;
    if (dot) {
      remember(line.trim());
      const command = dot[1]!.toLowerCase();
      if (command === 'exit' || command === 'quit') break;
      write(command === 'help' ? HELP : `unknown command .${command}; .help lists them\n`);
    } else if (lines.length > 0 || line.trim()) {
      lines.push(line);
      const statement = lines.join('\n');
      if (statement.trim().endsWith(';')) {
        lines = [];
        remember(statement.trim());
        try {
          write(await options.run(statement));
        } catch (error) {
          write(`error: ${(error as Error).message}\n`);
        }
      }
    }
    prompt();
  }
  rl.close();
  mkdirSync(dirname(options.historyPath), { recursive: true });
  writeFileSync(options.historyPath, `${[...history].reverse().map((entry) => JSON.stringify(entry)).join('\n')}\n`);
}
