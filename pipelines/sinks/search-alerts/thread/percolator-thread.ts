// The in-memory percolator on a thread of its own: analysing every new or changed listing and
// matching it against the saved searches took over a third of the main thread while the platform
// caught up on a burst of writes. Its methods are called by name (threaded-percolator.ts).
import { workerData } from 'node:worker_threads';
import { serveCalls } from '../../../../core/threads/thread-calls.js';
import type { SynonymGroups } from '../../search/synonyms.js';
import { EmbeddedPercolator } from '../embedded-percolator.js';

const percolator = new EmbeddedPercolator(workerData as { synonyms?: SynonymGroups; wordsFile?: string });

serveCalls((method, args) => {
  switch (method) {
    case 'upsert': return percolator.upsert(args[0] as Parameters<EmbeddedPercolator['upsert']>[0]);
    case 'remove': return percolator.remove(args[0] as number[]);
    case 'match': return percolator.match(args[0] as Parameters<EmbeddedPercolator['match']>[0]);
    case 'learn': return percolator.learn(args[0] as Parameters<EmbeddedPercolator['learn']>[0]);
    case 'restoreWords': return percolator.restoreWords();
    case 'count': return percolator.count();
    case 'close': return percolator.close();
    default: throw new Error(`no such percolator method: ${method}`);
  }
});
