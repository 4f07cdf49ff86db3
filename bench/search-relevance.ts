// Search relevance (issue 25): the judged query set over the judged corpus, scored as precision@10
// and nDCG@10 for the embedded engine and, when ELASTICSEARCH_URL is set, for Elasticsearch on the
// same documents with the same synonym groups. The main table gets one row per engine; a second
// table gives the scores per kind of query side by side.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SYNONYMS } from '../core/config/search-synonyms.js';
import { ElasticsearchSearch } from '../pipelines/sinks/search/elasticsearch.js';
import { EmbeddedSearch } from '../pipelines/sinks/search/embedded/index.js';
import type { SearchService } from '../pipelines/sinks/search/port.js';
import { judgedCorpus, type JudgedCorpus } from '../pipelines/sinks/search/relevance/judged-corpus.js';
import { JUDGED_QUERIES } from '../pipelines/sinks/search/relevance/judged-queries.js';
import { judge, RANKED_DEPTH, type RelevanceReport } from '../pipelines/sinks/search/relevance/relevance-run.js';
import { measure, type BenchResult } from './table.js';

const score = (value: number) => value.toFixed(3);

async function scoreEngine(name: string, service: SearchService, corpus: JudgedCorpus): Promise<{ row: BenchResult; report: RelevanceReport }> {
  await service.ensureIndex();
  const store = await service.serving();
  for (let i = 0; i < corpus.docs.length; i += 2_000) {
    const outcome = await store.upsert(corpus.docs.slice(i, i + 2_000).map((doc) => ({ doc, version: 1n })));
    if (outcome.failed.length > 0) throw new Error(`${name}: indexing the judged corpus failed: ${outcome.failed[0]!.error}`);
  }
  const started = performance.now();
  const report = await judge(store, corpus, JUDGED_QUERIES);
  const row = measure(`search-relevance ${name}`, 'queries', JUDGED_QUERIES.length, performance.now() - started,
    `P@${RANKED_DEPTH} ${score(report.overall.precision)} · nDCG@${RANKED_DEPTH} ${score(report.overall.ndcg)} (${corpus.docs.length.toLocaleString('en-US')} docs)`);
  return { row, report };
}

function printByKind(reports: { name: string; report: RelevanceReport }[]): void {
  const kinds = [...reports[0]!.report.byKind.keys()];
  const header = ['kind', 'queries', ...reports.flatMap(({ name }) => [`${name} P@${RANKED_DEPTH}`, `${name} nDCG@${RANKED_DEPTH}`])];
  const rows = [header, ...[...kinds, 'all' as const].map((kind) => [
    kind, String(kind === 'all' ? JUDGED_QUERIES.length : JUDGED_QUERIES.filter((q) => q.kind === kind).length),
    ...reports.flatMap(({ report }) => {
      const s = kind === 'all' ? report.overall : report.byKind.get(kind)!;
      return [score(s.precision), score(s.ndcg)];
    }),
  ])];
  const widths = header.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  process.stdout.write(`${[line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n')}\n\n`);
  // The queries an engine answered worst, to read next to the figures.
  for (const { name, report } of reports) {
    const worst = [...report.answers].sort((a, b) => a.ndcg - b.ndcg).slice(0, 5);
    process.stderr.write(`  ${name} lowest nDCG@${RANKED_DEPTH}: ${worst.map((a) => `"${a.query.q}" ${score(a.ndcg)}`).join(', ')}\n`);
  }
}

export async function* searchRelevanceBenches(): AsyncGenerator<BenchResult> {
  const corpus = judgedCorpus(Number(process.env.BENCH_RELEVANCE_DOCS ?? 5_000));
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-relevance-'));
  const reports: { name: string; report: RelevanceReport }[] = [];
  try {
    const embedded = new EmbeddedSearch(join(dir, 'search'), 'relevance', { synonyms: DEFAULT_SYNONYMS });
    try {
      const { row, report } = await scoreEngine('embedded', embedded, corpus);
      reports.push({ name: 'embedded', report });
      yield row;
    } finally {
      await embedded.close();
    }
    const url = process.env.ELASTICSEARCH_URL;
    if (url) {
      const es = await ElasticsearchSearch.connect({ url, alias: `bench-relevance-${randomBytes(4).toString('hex')}`, refresh: true, synonyms: DEFAULT_SYNONYMS });
      try {
        const { row, report } = await scoreEngine('elasticsearch', es, corpus);
        reports.push({ name: 'elasticsearch', report });
        yield row;
      } finally {
        await es.destroy();
        await es.close();
      }
    }
    printByKind(reports);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
