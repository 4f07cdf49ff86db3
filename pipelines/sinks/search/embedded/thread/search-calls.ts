// What the main thread asks the embedded search's thread: a method of the service by its name,
// or of one of its indexes as `store.<method>` with the index's name first.
import type { SynonymGroups } from '../../synonyms.js';

export interface SearchThreadSettings {
  dir: string;
  alias: string;
  synonyms?: SynonymGroups;
}

export const STORE_METHODS = ['upsert', 'remove', 'truncate', 'truncatedBelow', 'setSellerName', 'search', 'count', 'scan'] as const;
export type StoreMethod = (typeof STORE_METHODS)[number];
export const STORE_PREFIX = 'store.';
