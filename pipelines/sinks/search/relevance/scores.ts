// Ranking quality of one answer against judged relevance: precision@k and nDCG@k, the figures the
// relevance bench prints for each engine. Pure.

/** Share of the first k results that are relevant; an answer shorter than k counts the gap as misses. */
export function precisionAtK(ranked: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  if (k <= 0) throw new RangeError('k must be at least 1');
  return ranked.slice(0, k).filter((id) => relevant.has(id)).length / k;
}

/**
 * Normalized discounted cumulative gain at k with binary gains: each relevant result at rank r
 * (from 1) adds 1 / log2(r + 1), divided by the best possible (every one of the first
 * min(k, |relevant|) places relevant). A query nothing is relevant for scores 1 when the answer is
 * empty and 0 otherwise, so an engine is not rewarded for returning noise.
 */
export function ndcgAtK(ranked: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  if (k <= 0) throw new RangeError('k must be at least 1');
  if (relevant.size === 0) return ranked.length === 0 ? 1 : 0;
  const gain = (rank: number) => 1 / Math.log2(rank + 1);
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    if (relevant.has(id)) dcg += gain(i + 1);
  });
  let ideal = 0;
  for (let rank = 1; rank <= Math.min(k, relevant.size); rank++) ideal += gain(rank);
  return dcg / ideal;
}

export interface QueryScore {
  precision: number;
  ndcg: number;
}

/** The mean of each figure over queries (0 for none). */
export function meanScore(scores: readonly QueryScore[]): QueryScore {
  if (scores.length === 0) return { precision: 0, ndcg: 0 };
  const sum = scores.reduce((a, s) => ({ precision: a.precision + s.precision, ndcg: a.ndcg + s.ndcg }), { precision: 0, ndcg: 0 });
  return { precision: sum.precision / scores.length, ndcg: sum.ndcg / scores.length };
}
