// The embedded search index on a thread of its own: its memory index, SQLite writes and queries
// took about two fifths of the main thread while the platform caught up on a burst of writes,
// in turns with the HTTP servers and every other consumer. Methods of the service and of its
// indexes are called by name from the main thread (threaded-search.ts); indexes cross by name.
import { parentPort, workerData } from 'node:worker_threads';
import { crossError } from '../../../../../core/threads/crossing-errors.js';
import type { SearchStore } from '../../port.js';
import { EmbeddedSearch } from '../index.js';
import { STORE_METHODS, type SearchAnswer, type SearchCall, type SearchThreadSettings } from './search-calls.js';

const port = parentPort!;
const settings = workerData as SearchThreadSettings;
const service = new EmbeddedSearch(settings.dir, settings.alias, { synonyms: settings.synonyms });
/** The indexes handed out by name, as the service handed them out. */
const stores = new Map<string, SearchStore>();
const named = (store: SearchStore) => {
  stores.set(store.name, store);
  return store.name;
};

/** An index by name: one handed out, or one the catalog names (this thread may be new). */
async function storeNamed(name: string): Promise<SearchStore> {
  if (!stores.has(name)) for (const store of await service.writeTargets()) named(store);
  const store = stores.get(name);
  if (!store) throw new Error(`search index ${name} is not open`);
  return store;
}

async function answer(call: SearchCall): Promise<unknown> {
  if ('store' in call) {
    if (!STORE_METHODS.includes(call.method)) throw new Error(`no such search index method: ${call.method}`);
    const store = await storeNamed(call.store) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    return store[call.method]!(...call.args);
  }
  switch (call.method) {
    case 'ensureIndex': return service.ensureIndex();
    case 'serving': return named(await service.serving());
    case 'writeTargets': return (await service.writeTargets()).map(named);
    case 'beginRebuild': return named(await service.beginRebuild());
    case 'finishRebuild': {
      await service.finishRebuild(await storeNamed(String(call.args[0])));
      // The index it replaced is dropped: forget it, and any other the catalog no longer names.
      const live = new Set((await service.writeTargets()).map((store) => store.name));
      for (const name of stores.keys()) if (!live.has(name)) stores.delete(name);
      return undefined;
    }
    case 'abortRebuild': {
      await service.abortRebuild(await storeNamed(String(call.args[0])));
      stores.delete(String(call.args[0]));
      return undefined;
    }
    case 'close': {
      await service.close();
      stores.clear();
      return undefined;
    }
  }
}

port.on('message', (call: SearchCall) => {
  answer(call).then(
    (value) => port.postMessage({ id: call.id, value } satisfies SearchAnswer),
    (error: unknown) => port.postMessage({ id: call.id, error: crossError(error) } satisfies SearchAnswer),
  );
});
