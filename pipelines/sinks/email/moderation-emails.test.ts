import { describe, expect, it } from 'vitest';
import { emailsFor, renderEmail } from './templates.js';

describe("a seller's emails about moderation", () => {
  it('are sent for a hold and for its release, not for a flag that leaves the listing for sale', () => {
    expect(emailsFor('listing.flagged', { id: 5, seller_id: 9, action: 'hold' })).toEqual([{ template: 'listing_held', userId: 9 }]);
    expect(emailsFor('listing.flagged', { id: 5, seller_id: 9, action: 'flag' })).toEqual([]);
    expect(emailsFor('listing.cleared', { id: 5, seller_id: 9, previous_status: 'pending_review' })).toEqual([{ template: 'listing_cleared', userId: 9 }]);
    // Cleared while it was still for sale (only flagged): nothing changed for the seller.
    expect(emailsFor('listing.cleared', { id: 5, seller_id: 9, previous_status: 'active' })).toEqual([]);
    // Removed by a moderator (held or not), with the reason; a seller's own removal sends nothing.
    expect(emailsFor('listing.removed', { id: 5, seller_id: 9, removed_by: 'admin', reason: 'counterfeit' })).toEqual([{ template: 'listing_removed', userId: 9 }]);
    expect(emailsFor('listing.removed', { id: 5, seller_id: 9, removed_by: 'seller', reason: null })).toEqual([]);
    expect(renderEmail('listing_removed', 'Hedda', { id: 5, name: 'Omega replica watch', reason: 'counterfeit goods' }).text)
      .toContain('a moderator removed your listing "Omega replica watch" from Steveslist, for this reason: counterfeit goods.');
  });

  it("name the listing and give the rules' reasons, not what was measured", () => {
    const held = renderEmail('listing_held', 'Hedda', {
      id: 5, name: 'Omega replica watch', action: 'hold', checks: [{ rule: 'banned_words', action: 'hold', reason: 'banned words: "replica"' }],
    });
    expect(held.subject).toBe('Your listing is under review: "Omega replica watch"');
    expect(held.text).toContain('- banned words: "replica"\n');
    expect(renderEmail('listing_cleared', 'Hedda', { id: 5, name: 'Omega replica watch' }).text).toContain('for sale and in search again at /listings/5');
    // An event from before listings' names were carried names it by number.
    expect(renderEmail('listing_cleared', 'Hedda', { id: 5 }).subject).toBe('Your listing is live again: #5');
  });
});
