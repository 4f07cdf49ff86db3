// Signals: rows inserted into the signal table ask change capture to do something while it streams,
// in Debezium's shape (`id`, `type`, `data` JSON), so one signal drives either engine. Read from the
// binlog, so a signal takes effect at its place among the changes. Pure: rows in, signals out.

export type SnapshotSignal =
  | { kind: 'execute-snapshot'; id: string; tables: { table: string; where?: string }[] }
  | { kind: 'pause-snapshot' | 'resume-snapshot' | 'stop-snapshot'; id: string; tables: string[] }
  | { kind: 'snapshot-window-open' | 'snapshot-window-close'; id: string; chunk: string }
  | { kind: 'unknown'; id: string; reason: string };

/** The statement that makes the table, as Debezium documents it (`id` at most 42 characters). */
export function signalTableDdl(table: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)`;
}

/**
 * One signal row as a signal. Tables in `data-collections` are named `table` or `database.table`
 * (Debezium also takes regular expressions; these are refused as unknown, with the reason).
 */
export function parseSignal(row: Record<string, unknown>, database: string): SnapshotSignal {
  const id = String(row.id ?? '');
  const type = String(row.type ?? '');
  let data: Record<string, unknown> = {};
  try {
    const text = row.data == null ? '' : String(row.data);
    if (text.trim() !== '') data = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { kind: 'unknown', id, reason: `data is not JSON: ${String(row.data).slice(0, 80)}` };
  }
  if (type === 'snapshot-window-open' || type === 'snapshot-window-close') {
    return { kind: type, id, chunk: id.replace(/-(open|close)$/, '') };
  }
  if (type !== 'execute-snapshot' && type !== 'pause-snapshot' && type !== 'resume-snapshot' && type !== 'stop-snapshot') {
    return { kind: 'unknown', id, reason: `type "${type}" is not execute-snapshot, pause-snapshot, resume-snapshot or stop-snapshot` };
  }
  if (data.type !== undefined && String(data.type).toLowerCase() !== 'incremental') {
    return { kind: 'unknown', id, reason: `only incremental snapshots are taken while streaming (data.type is "${String(data.type)}")` };
  }
  const collections = Array.isArray(data['data-collections']) ? data['data-collections'].map(String) : [];
  const tables: string[] = [];
  for (const name of collections) {
    const table = tableIn(name, database);
    if (!table) return { kind: 'unknown', id, reason: `data-collections: "${name}" is not a table of ${database}` };
    tables.push(table);
  }
  if (type !== 'execute-snapshot') return { kind: type, id, tables };
  if (tables.length === 0) return { kind: 'unknown', id, reason: 'data-collections: name at least one table to snapshot' };
  const conditions = new Map<string, string>();
  const additional = Array.isArray(data['additional-conditions']) ? data['additional-conditions'] as Record<string, unknown>[] : [];
  for (const condition of additional) {
    const table = tableIn(String(condition['data-collection'] ?? ''), database);
    const filter = String(condition.filter ?? '').trim();
    if (!table || !tables.includes(table)) return { kind: 'unknown', id, reason: `additional-conditions: "${String(condition['data-collection'])}" is not among data-collections` };
    if (filter) conditions.set(table, filter);
  }
  return { kind: 'execute-snapshot', id, tables: tables.map((table) => ({ table, ...(conditions.has(table) ? { where: conditions.get(table)! } : {}) })) };
}

function tableIn(name: string, database: string): string | undefined {
  const parts = name.split('.');
  if (parts.length === 1 && parts[0]) return parts[0];
  if (parts.length === 2 && parts[0] === database && parts[1]) return parts[1];
  return undefined;
}
