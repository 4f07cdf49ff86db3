import { describe, expect, it } from 'vitest';
import { renderEmail } from './templates.js';

describe('the message-received email', () => {
  it('points at the conversation in the web app, not only at logging in', () => {
    const about = renderEmail('message_received', 'Sam', { id: 9, listing_id: 42, sender_id: 7, recipient_id: 3 });
    expect(about.text).toContain('/messages/with/7?listing=42');
    expect(about.text).toContain('about listing 42');
    const direct = renderEmail('message_received', 'Sam', { id: 10, listing_id: null, sender_id: 7, recipient_id: 3 });
    expect(direct.text).toContain('/messages/with/7 ');
    expect(direct.text).not.toContain('listing');
  });
});
