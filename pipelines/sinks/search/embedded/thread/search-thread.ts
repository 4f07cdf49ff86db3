// The embedded search index on a thread of its own: its memory index, SQLite writes and queries
// took about two fifths of the main thread while the platform caught up on a burst of writes,
// in turns with the HTTP servers and every other consumer. Methods of the service and of its
// indexes are called by name from the main thread (threaded-search.ts); indexes cross by name.
import { workerData } from 'node:worker_threads';
import { serveCalls } from '../../../../../core/threads/thread-calls.js';
import type { SearchStore } from '../../port.js';
import { EmbeddedSearch } from '../index.js';
import { STORE_METHODS, STORE_PREFIX, type SearchThreadSettings, type StoreMethod } from './search-calls.js';

const settings = workerData as SearchThreadSettings;
const service = new EmbeddedSearch(settings.dir, settings.alias, { synonyms: settings.synonyms });
/** The indexes handed out by name, as the service handed them out. */
const stores = new Map<string, SearchStore>();
const named = (store: SearchStore) => {
  stores.set(store.name, store);
  return store.name;
};

/** An index by name: one handed out, or one the catalog names (this thread may be new). */
async function storeNamed(name: unknown): Promise<SearchStore> {
  if (!stores.has(String(name))) for (const store of await service.writeTargets()) named(store);
  const store = stores.get(String(name));
  if (!store) throw new Error(`search index ${String(name)} is not open`);
  return store;
}

async function answer(method: string, args: unknown[]): Promise<unknown> {
  if (method.startsWith(STORE_PREFIX)) {
    const name = method.slice(STORE_PREFIX.length) as StoreMethod;
    if (!STORE_METHODS.includes(name)) throw new Error(`no such search index method: ${name}`);
    const store = await storeNamed(args[0]) as unknown as Record<StoreMethod, (...rest: unknown[]) => Promise<unknown>>;
    return store[name](...args.slice(1));
  }
  switch (method) {
    case 'ensureIndex': return service.ensureIndex();
    case 'serving': return named(await service.serving());
    case 'writeTargets': return (await service.writeTargets()).map(named);
    case 'beginRebuild': return named(await service.beginRebuild());
    case 'finishRebuild': {
      await service.finishRebuild(await storeNamed(args[0]));
      // The index it replaced is dropped: forget it, and any other the catalog no longer names.
      const live = new Set((await service.writeTargets()).map((store) => store.name));
      for (const name of stores.keys()) if (!live.has(name)) stores.delete(name);
      return undefined;
    }
    case 'abortRebuild': {
      await service.abortRebuild(await storeNamed(args[0]));
      stores.delete(String(args[0]));
      return undefined;
    }
    case 'close': {
      await service.close();
      stores.clear();
      return undefined;
    }
    default: throw new Error(`no such search service method: ${method}`);
  }
}

serveCalls(answer);
