// The judged relevance set as a guard on both engines: a change that ranks worse shows here, and
// the embedded engine must answer at least as well as Elasticsearch (issue 25). The figures the
// README quotes come from the relevance bench over the same set.
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, searchAdapters, upsertAll } from '../../../../test/fixtures/search-adapters.js';
import { tempDir } from '../../../../test/fixtures/temp-dir.js';
import type { SearchService } from '../port.js';
import { judgedCorpus } from './judged-corpus.js';
import { JUDGED_QUERIES } from './judged-queries.js';
import { judge, type RelevanceReport } from './relevance-run.js';

const dir = tempDir();
const opened: SearchService[] = [];
afterAll(async () => {
  await closeAll(opened);
  dir.remove();
});

const corpus = judgedCorpus();
const reports = new Map<string, RelevanceReport>();

describe.each(searchAdapters(dir.path))('judged relevance: $name', (adapter) => {
  it('ranks the judged answers first: nDCG@10 at least 0.94 overall, and every kind above 0.7', async () => {
    const service = await adapter.open();
    opened.push(service);
    await service.ensureIndex();
    await upsertAll(service, corpus.docs);
    const report = await judge(await service.serving(), corpus, JUDGED_QUERIES);
    reports.set(adapter.name, report);
    expect(report.overall.ndcg).toBeGreaterThanOrEqual(0.94);
    for (const [kind, score] of report.byKind) expect(score.ndcg, kind).toBeGreaterThan(0.7);
  }, 180_000);
});

describe.skipIf(!process.env.ELASTICSEARCH_URL)('the embedded engine against Elasticsearch', () => {
  it('answers the judged set at least as well, overall and per kind', () => {
    const embedded = reports.get('embedded');
    const elasticsearch = reports.get('elasticsearch');
    if (!embedded || !elasticsearch) throw new Error('both engines must have been judged above');
    expect(embedded.overall.ndcg).toBeGreaterThanOrEqual(elasticsearch.overall.ndcg);
    expect(embedded.overall.precision).toBeGreaterThanOrEqual(elasticsearch.overall.precision);
    for (const [kind, score] of elasticsearch.byKind) expect(embedded.byKind.get(kind)!.ndcg, kind).toBeGreaterThanOrEqual(score.ndcg);
  });
});
