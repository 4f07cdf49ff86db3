// The SQL workbench on the served warehouse: read-only queries, results as a table, CSV or Arrow
// downloads, and the history of this staff member's own queries.
import { api, apiBlob, query, type PageOf } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import type { PageContext } from '../router.js';
import { card, fill, notice, pageHeader, table, time } from '../ui.js';

const SHOWN_ROWS = 500;

interface HistoryRow {
  id: number;
  at: string;
  sql: string;
  format: string;
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = h('a', { href: url, download: name });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function workbenchPage(_context: PageContext): HTMLElement {
  const sql = h('textarea', { name: 'sql', class: 'code', rows: 8, spellcheck: 'false', 'aria-label': 'SQL' });
  sql.value = 'SELECT status, count() AS listings\nFROM listings\nGROUP BY status\nORDER BY listings DESC';
  const results = h('div');
  const history = h('div');
  const run = h('button', { type: 'submit', class: 'primary' }, 'Run query');
  const status = h('span', { class: 'muted', role: 'status' });

  async function loadHistory() {
    await fill(history, async () => {
      const page = await api<PageOf<HistoryRow>>('GET', `/admin/queries${query({ limit: 20 })}`);
      return table<HistoryRow>([
        { label: 'When', cell: (row) => time(row.at) },
        { label: 'Query', cell: (row) => h('code', { class: 'sql-line' }, row.sql) },
        { label: 'As', cell: (row) => row.format },
        { label: '', cell: (row) => h('button', { type: 'button', class: 'secondary small', onclick: () => { sql.value = row.sql; sql.focus(); } }, 'Use') },
      ], page.data, 'Your queries will be listed here.');
    });
  }

  async function execute(event: Event) {
    event.preventDefault();
    run.disabled = true;
    status.textContent = 'Running…';
    const started = performance.now();
    try {
      const blob = await apiBlob('POST', '/warehouse/query', { sql: sql.value, format: 'JSONEachRow', max_rows: 10_000 });
      const rows = (await blob.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
      status.textContent = `${rows.length.toLocaleString('en-GB')} row${rows.length === 1 ? '' : 's'} in ${Math.round(performance.now() - started)} ms${rows.length > SHOWN_ROWS ? ` (first ${SHOWN_ROWS} shown; download for all)` : ''}`;
      replaceChildren(results, table(columns.map((name) => ({
        label: name, numeric: typeof rows[0]![name] === 'number', cell: (row: Record<string, unknown>) => (row[name] === null ? h('span', { class: 'muted' }, 'NULL') : typeof row[name] === 'object' ? JSON.stringify(row[name]) : String(row[name])),
      })), rows.slice(0, SHOWN_ROWS), 'The query returned no rows.'));
    } catch (error) {
      status.textContent = '';
      replaceChildren(results, notice('error', (error as Error).message));
    } finally {
      run.disabled = false;
      void loadHistory();
    }
  }

  async function downloadAs(format: 'CSV' | 'Arrow') {
    status.textContent = `Preparing ${format}…`;
    try {
      const blob = await apiBlob('POST', '/warehouse/query', { sql: sql.value, format });
      download(blob, format === 'CSV' ? 'query.csv' : 'query.arrow');
      status.textContent = `Downloaded ${format} (${blob.size.toLocaleString('en-GB')} bytes).`;
    } catch (error) {
      replaceChildren(results, notice('error', (error as Error).message));
      status.textContent = '';
    } finally {
      void loadHistory();
    }
  }

  const form = h('form', { class: 'workbench' }, sql,
    h('div', { class: 'toolbar' }, run,
      h('button', { type: 'button', class: 'secondary', onclick: () => void downloadAs('CSV') }, 'Download CSV'),
      h('button', { type: 'button', class: 'secondary', onclick: () => void downloadAs('Arrow') }, 'Download Arrow'),
      status));
  form.addEventListener('submit', (event) => void execute(event));
  sql.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  void loadHistory();
  return h('div', {}, pageHeader('SQL workbench', 'Read-only SQL on the warehouse. Ctrl+Enter runs; every query is kept in the audit trail.'),
    card(null, form), card('Results', results), card('Your recent queries', history));
}
