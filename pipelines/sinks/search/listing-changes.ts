// What a change on the listings topic means for the index: an active listing is (re)indexed,
// anything else (sold, removed, draft, deleted) leaves it; a truncate empties it. Pure.
import { datetimeText } from '../../cdc/debezium/envelope-differences.js';
import type { ChangeEnvelope, Row } from '../../cdc/envelope.js';
import { eventVersion } from '../../cdc/event-version.js';
import type { ListingStatus } from '../../../marketplace/domain/listings.js';
import { storedCoordinates } from './geo-distance.js';
import type { ListingDocument } from './port.js';

export type ListingChange =
  | { kind: 'upsert'; id: number; version: bigint; row: Row }
  | { kind: 'delete'; id: number; version: bigint }
  | { kind: 'truncate'; version: bigint };

export function listingChange(envelope: ChangeEnvelope): ListingChange {
  const version = eventVersion(envelope);
  if (envelope.op === 't') return { kind: 'truncate', version };
  const row = envelope.after ?? envelope.before;
  const id = Number(row?.id);
  if (!row || !Number.isSafeInteger(id)) throw new Error(`listing change without an id (op ${envelope.op})`);
  if (envelope.op === 'd' || envelope.after?.status !== 'active') return { kind: 'delete', id, version };
  return { kind: 'upsert', id, version, row: envelope.after };
}

/** Keeps, per listing, only the newest change of a batch (older ones would be ignored anyway). */
export function newestPerListing(changes: ListingChange[]): ListingChange[] {
  const byId = new Map<number, ListingChange>();
  const out: ListingChange[] = [];
  for (const change of changes) {
    if (change.kind === 'truncate') {
      out.push(...byId.values(), change);
      byId.clear();
      continue;
    }
    const current = byId.get(change.id);
    if (!current || (current.kind !== 'truncate' && current.version < change.version)) byId.set(change.id, change);
  }
  return [...out, ...byId.values()];
}

export function toDocument(row: Row, sellerName: string | null): ListingDocument {
  return {
    id: Number(row.id), seller_id: Number(row.seller_id), seller_name: sellerName, name: String(row.name),
    description: String(row.description ?? ''), category: String(row.category), country: String(row.country), city: String(row.city),
    // Absent before migration 027.
    ...storedCoordinates(row),
    price_amount: Number(row.price_amount), price_currency: String(row.price_currency), status: String(row.status) as ListingStatus,
    // Debezium writes DATETIME as µs since the epoch; the built-in reader as ISO text.
    created_at: datetimeText(row.created_at), updated_at: datetimeText(row.updated_at),
  };
}
