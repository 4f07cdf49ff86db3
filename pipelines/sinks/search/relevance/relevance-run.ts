// Runs the judged queries against one search store and scores each answer.
import type { SearchStore } from '../port.js';
import type { JudgedCorpus } from './judged-corpus.js';
import type { JudgedQuery, QueryKind } from './judged-queries.js';
import { meanScore, ndcgAtK, precisionAtK, type QueryScore } from './scores.js';

export const RANKED_DEPTH = 10;

export function relevantIds(query: JudgedQuery, corpus: JudgedCorpus): Set<number> {
  const ids = new Set<number>();
  for (const doc of corpus.docs) {
    if (query.items.includes(corpus.itemOf.get(doc.id)!) && (query.city === undefined || doc.city === query.city)) ids.add(doc.id);
  }
  return ids;
}

export interface JudgedAnswer extends QueryScore {
  query: JudgedQuery;
  ranked: number[];
}

export interface RelevanceReport {
  answers: JudgedAnswer[];
  overall: QueryScore;
  byKind: Map<QueryKind, QueryScore>;
}

export async function judge(store: SearchStore, corpus: JudgedCorpus, queries: readonly JudgedQuery[]): Promise<RelevanceReport> {
  const answers: JudgedAnswer[] = [];
  for (const query of queries) {
    const result = await store.search({ q: query.q, perPage: RANKED_DEPTH, sort: 'relevance' });
    const ranked = result.hits.map((hit) => hit.id);
    const relevant = relevantIds(query, corpus);
    answers.push({ query, ranked, precision: precisionAtK(ranked, relevant, RANKED_DEPTH), ndcg: ndcgAtK(ranked, relevant, RANKED_DEPTH) });
  }
  const byKind = new Map<QueryKind, QueryScore>();
  for (const kind of new Set(queries.map((q) => q.kind))) byKind.set(kind, meanScore(answers.filter((a) => a.query.kind === kind)));
  return { answers, overall: meanScore(answers), byKind };
}
