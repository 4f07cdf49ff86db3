// The Content-Type ClickHouse answers each output format with (clients pick their parser by it or
// by X-ClickHouse-Format).

export function contentTypeOf(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (f === 'json' || f === 'jsoncompact' || f === 'jsonstrings' || f === 'jsoncolumns' || f === 'jsoncompactcolumns' || f === 'jsonobjecteachrow') return 'application/json; charset=UTF-8';
  if (f.includes('eachrow')) return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('pretty') || f === 'vertical' || f === 'markdown' || f === 'values' || f === 'xml' || f === 'template' || f === 'rawblob' || f === 'linesasstring') return 'text/plain; charset=UTF-8';
  return 'application/octet-stream';
}
