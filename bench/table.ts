export interface BenchResult {
  name: string;
  count: number;
  unit: string;
  elapsedMs: number;
  perSecond: number;
  note?: string;
}

export function measure(name: string, unit: string, count: number, elapsedMs: number, note?: string): BenchResult {
  return { name, unit, count, elapsedMs, perSecond: (count * 1000) / elapsedMs, note };
}

export function printTable(results: BenchResult[]): void {
  const rows = [
    ['bench', 'count', 'seconds', 'rate', 'note'],
    ...results.map((r) => [r.name, String(r.count), (r.elapsedMs / 1000).toFixed(2), `${Math.round(r.perSecond).toLocaleString('en-US')} ${r.unit}/s`, r.note ?? '']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => (i === 0 || i === 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  process.stdout.write(`${[line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n')}\n`);
}
