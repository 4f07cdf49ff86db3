// What the main thread asks the embedded search's thread, and what comes back: a method of the
// service, or of one of its indexes named as the service named it.
import type { CrossedError } from '../../../../../core/threads/crossing-errors.js';
import type { SynonymGroups } from '../../synonyms.js';

export interface SearchThreadSettings {
  dir: string;
  alias: string;
  synonyms?: SynonymGroups;
}

export const SERVICE_METHODS = ['ensureIndex', 'serving', 'writeTargets', 'beginRebuild', 'finishRebuild', 'abortRebuild', 'close'] as const;
export const STORE_METHODS = ['upsert', 'remove', 'truncate', 'truncatedBelow', 'setSellerName', 'search', 'count', 'scan'] as const;

export type ServiceMethod = (typeof SERVICE_METHODS)[number];
export type StoreMethod = (typeof STORE_METHODS)[number];

export type SearchCall =
  | { id: number; method: ServiceMethod; args: unknown[] }
  | { id: number; store: string; method: StoreMethod; args: unknown[] };

export interface SearchAnswer {
  id: number;
  value?: unknown;
  error?: CrossedError;
}
