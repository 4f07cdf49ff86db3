// How many listings a search found, as a person reads it: past the engine's counting limit the
// total is a lower bound ("10,000+ listings"), never shown as if it were exact.

export function resultCount(total: number, relation: 'eq' | 'gte' = 'eq'): string {
  const number = total.toLocaleString('en-US');
  if (relation === 'gte') return `${number}+ listings`;
  return `${number} ${total === 1 ? 'listing' : 'listings'}`;
}
