// Where a conversation lives in the app: one thread per counterpart and listing.
export function threadPath(counterpartId: number, listingId: number | null): string {
  return listingId === null ? `/messages/with/${counterpartId}` : `/messages/with/${counterpartId}?listing=${listingId}`;
}
