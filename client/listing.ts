// `Listing` as both the wire type and a set of one-call helpers, for scripts that make one
// request with a key: `await Listing.create({...}, { apiKey })`.
import { Steveslist, type ClientOptions } from './client.js';
import type { RequestOptions } from './http.js';
import type { CreateListingParams, Id, ListListingsParams, Listing as ListingData, Page } from './types.js';

export type Listing = ListingData;

type OneCallOptions = ClientOptions & RequestOptions;
type Authenticated = OneCallOptions & ({ apiKey: string } | { token: string });

function clientFor({ signal: _signal, ...options }: OneCallOptions): Steveslist {
  return new Steveslist(options);
}

export const Listing = {
  create(params: CreateListingParams, options: Authenticated): Promise<Listing> {
    return clientFor(options).listings.create(params, { signal: options.signal });
  },

  get(id: Id, options: OneCallOptions = {}): Promise<Listing> {
    return clientFor(options).listings.get(id, { signal: options.signal });
  },

  list(params: ListListingsParams = {}, options: OneCallOptions = {}): Promise<Page<Listing>> {
    return clientFor(options).listings.list(params, { signal: options.signal });
  },
};
