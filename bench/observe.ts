// Wrappers that see when each listing reached a sink (its index or warehouse write returned), for
// the commit-to-searchable and commit-to-warehouse latencies.
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '../warehouse/client.js';
import type { SearchService, SearchStore } from '../pipelines/sinks/search/port.js';

export const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Wraps the service so the moment each listing became searchable (its index commit) is seen. */
export function observeSearch(service: SearchService, onIndexed: (ids: number[]) => void): SearchService {
  const wrap = (store: SearchStore): SearchStore => new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'upsert') {
        return async (documents: Parameters<SearchStore['upsert']>[0]) => {
          const outcome = await target.upsert(documents);
          onIndexed(documents.map((d) => d.doc.id));
          return outcome;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Proxy(service, {
    get(target, property, receiver) {
      if (property === 'writeTargets') return async () => (await target.writeTargets()).map(wrap);
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Records when each listing id reached the warehouse (its insert returned, as TSV lines or as rows). */
export function observeWarehouse(client: ClickHouseClient, onInserted: (ids: number[]) => void): ClickHouseClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'exec') {
        return async (params: { query: string; values?: AsyncIterable<Buffer> }) => {
          const columns = /^INSERT INTO raw\.listings \((.*)\) FORMAT TabSeparated$/.exec(params.query)?.[1]?.split(', ');
          if (!params.values || !columns) return target.exec(params as never);
          const chunks: Buffer[] = [];
          for await (const chunk of params.values) chunks.push(Buffer.from(chunk));
          const body = Buffer.concat(chunks);
          const result = await target.exec({ ...params, values: Readable.from([body]) } as never);
          const at = columns.indexOf('id');
          onInserted(body.toString('utf8').split('\n').filter(Boolean).map((line) => Number(line.split('\t')[at])));
          return result;
        };
      }
      if (property === 'insert') {
        return async (params: { table: string; values: { id?: unknown }[] }) => {
          const result = await target.insert(params as never);
          if (params.table.includes('listings')) onInserted(params.values.map((v) => Number(v.id)));
          return result;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

