// The `steveslist sql` prompt as a terminal drives it: keystrokes in (Enter, the up arrow), what
// the analyst sees out, against a real chDB warehouse in a temp folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { until } from '../../test/fixtures/eventually.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { analystQuery } from '../../warehouse/analyst-query.js';
import { createWarehouseClient, type ClickHouseClient } from '../../warehouse/client.js';
import { sqlPrompt } from './sql-prompt.js';

const UP = '\x1b[A';
const dir = tempDir();
const historyPath = join(dir.path, 'sql_history');
let client: ClickHouseClient;
beforeAll(() => {
  client = createWarehouseClient({ path: join(dir.path, 'warehouse') });
});
afterAll(async () => {
  await client.close();
  dir.remove();
});

/** A prompt session over a pseudo-terminal's two streams; `type` sends keys and waits for what they should print. */
function session() {
  const input = new PassThrough();
  let seen = '';
  const output = Object.assign(new Writable({ write(chunk, _encoding, done) { seen += String(chunk); done(); } }), { columns: 400, isTTY: true });
  const ended = sqlPrompt({ input, output, terminal: true, historyPath, run: (statement) => analystQuery(client, statement, { format: 'table' }) });
  const count = (text: string) => seen.split(text).length - 1;
  return {
    input,
    seen: () => seen,
    async type(keys: string, until_: { text: string; times: number }) {
      input.write(keys);
      expect(await until(() => count(until_.text), (n) => n >= until_.times), `${JSON.stringify(keys)} printed ${JSON.stringify(until_.text)}`).toBe(until_.times);
    },
    ended,
  };
}

it('answers .help with or without ";", recalls a statement over several lines whole, and quotes the analyst\'s query in errors', async () => {
  const prompt = session();
  await prompt.type('.help\r', { text: 'the up arrow recalls a whole statement', times: 1 });
  await prompt.type('.help;\r', { text: 'the up arrow recalls a whole statement', times: 2 });
  await prompt.type('SELECT 1 +\r', { text: '        -> ', times: 1 });
  await prompt.type('  2 AS three;\r', { text: '(1 row)', times: 1 });
  expect(prompt.seen()).toMatch(/three\n-----\n3\n\(1 row\)/);
  await prompt.type('SELECT 1 +;\r', { text: 'error: Syntax error', times: 1 });
  expect(prompt.seen()).toMatch(/error: Syntax error[^\n]*In scope SELECT 1 \+;?\.\n/);
  expect(prompt.seen()).not.toMatch(/formatQuery|FORMAT |SETTINGS/);
  // Two up: past the failed statement to the one over two lines, which runs again as typed.
  await prompt.type(`${UP}${UP}\r`, { text: '(1 row)', times: 2 });
  prompt.input.write('.exit\r');
  await prompt.ended;

  const entries = readFileSync(historyPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string);
  expect(entries).toEqual(['.help', '.help;', 'SELECT 1 +\n  2 AS three;', 'SELECT 1 +;', 'SELECT 1 +\n  2 AS three;', '.exit']);

  // The next session starts with that history.
  const next = session();
  await next.type(`${UP}${UP}\r`, { text: '(1 row)', times: 1 });
  next.input.write('.quit\r');
  await next.ended;
});
