// The search indexer: a consumer group on the listings topic (and users, for sellers' names)
// that keeps every index the alias needs up to date, batch by batch, with external versions.
import { PoisonMessage, SinkUnavailable } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';
import type { RoleReporter } from '../../../core/role-health.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import type { Bus, BusMessage } from '../../bus/port.js';
import type { ChangeEnvelope } from '../../cdc/envelope.js';
import { tableTopic } from '../../cdc/topics.js';
import { ConsumerRunner } from '../../consumers/runner.js';
import { parseMessage } from '../../consumers/parse-message.js';
import { listingChange, newestPerListing, toDocument, type ListingChange } from './listing-changes.js';
import type { BulkOutcome, SearchService } from './port.js';

export const SEARCH_GROUP = 'search-indexer';

export interface SearchIndexerOptions {
  bus: Bus;
  search: SearchService;
  /** The marketplace database, for what a document needs beyond the listing row. */
  pool: Pool;
  database: string;
  topicPrefix: string;
  log: Logger;
  /** Told of failing batches and dead letters, so /health shows the group degraded. */
  health?: RoleReporter;
  /** Default SEARCH_GROUP; another group indexes the same topics again (the benches do so). */
  group?: string;
}

const parse = (message: BusMessage) => parseMessage<ChangeEnvelope>(message, 'a change event');

function check(outcome: BulkOutcome): void {
  const retriable = outcome.failed.find((f) => f.retriable);
  if (retriable) throw new SinkUnavailable(`search index refused listing ${retriable.id}: ${retriable.error}`);
  const fatal = outcome.failed[0];
  if (fatal) throw new PoisonMessage(`search index refused listing ${fatal.id}: ${fatal.error}`);
}

export function startSearchIndexer(options: SearchIndexerOptions): ConsumerRunner {
  const listingsTopic = tableTopic(options.topicPrefix, options.database, 'listings');
  const usersTopic = tableTopic(options.topicPrefix, options.database, 'users');

  const sellerNames = async (ids: number[]): Promise<Map<number, string>> => {
    if (ids.length === 0) return new Map();
    const [rows] = await options.pool.query<RowDataPacket[]>('SELECT id, name FROM users WHERE id IN (?)', [ids]);
    return new Map(rows.map((row) => [Number(row.id), String(row.name)]));
  };

  const handler = async (messages: BusMessage[]) => {
    const targets = await options.search.writeTargets();
    if (messages[0]?.topic === usersTopic) {
      for (const message of messages) {
        const envelope = parse(message);
        if (envelope.op === 'u' && envelope.after && envelope.before?.name !== envelope.after.name) {
          for (const target of targets) await target.setSellerName(Number(envelope.after.id), String(envelope.after.name));
        }
      }
      return;
    }
    let changes: ListingChange[];
    try {
      changes = newestPerListing(messages.map((m) => listingChange(parse(m))));
    } catch (error) {
      throw error instanceof PoisonMessage ? error : new PoisonMessage((error as Error).message);
    }
    const upserts = changes.filter((c): c is Extract<ListingChange, { kind: 'upsert' }> => c.kind === 'upsert');
    const names = await sellerNames([...new Set(upserts.map((c) => Number(c.row.seller_id)))]);
    for (const target of targets) {
      // In order around a truncate; between truncates, one bulk upsert and one bulk delete.
      let pending: ListingChange[] = [];
      const flush = async () => {
        const documents = pending.filter((c): c is Extract<ListingChange, { kind: 'upsert' }> => c.kind === 'upsert')
          .map((c) => ({ doc: toDocument(c.row, names.get(Number(c.row.seller_id)) ?? null), version: c.version }));
        if (documents.length > 0) check(await target.upsert(documents));
        const deletes = pending.filter((c): c is Extract<ListingChange, { kind: 'delete' }> => c.kind === 'delete');
        if (deletes.length > 0) check(await target.remove(deletes.map((c) => ({ id: c.id, version: c.version }))));
        pending = [];
      };
      for (const change of changes) {
        if (change.kind !== 'truncate') {
          pending.push(change);
          continue;
        }
        await flush();
        await target.truncate(change.version);
      }
      await flush();
    }
  };

  const runner = new ConsumerRunner({
    bus: options.bus, group: options.group ?? SEARCH_GROUP, topics: [listingsTopic, usersTopic], topicPrefix: options.topicPrefix,
    handler, log: options.log.child({ role: 'search-indexer' }), maxBatchSize: 1000, health: options.health,
  });
  return runner;
}
