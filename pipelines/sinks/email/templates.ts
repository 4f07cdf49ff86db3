// The emails the platform sends, rendered from the data stored with each: a domain event's data,
// or, for `report`, a message its job rendered whole (subject, text, HTML, attachments). Pure.

export type EmailTemplate = 'welcome' | 'order_receipt_buyer' | 'order_notice_seller' | 'message_received' | 'webhook_endpoint_disabled' | 'report' | 'search_alert' | 'listing_held' | 'listing_cleared' | 'listing_removed';

export interface EmailAttachment {
  filename: string;
  contentType: string;
  content: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html?: string;
  attachments?: EmailAttachment[];
  /** Extra header lines, e.g. List-Unsubscribe for alert emails. */
  headers?: Record<string, string>;
}

/** The web app's page of the conversation a message belongs to (the site's address comes first). */
const threadPath = (data: Record<string, unknown>) => `/messages/with/${data.sender_id}${data.listing_id == null ? '' : `?listing=${data.listing_id}`}`;

/** A listing as its events name it: quoted name when the event carries one, else its number. */
const listingName = (data: Record<string, unknown>) => (typeof data.name === 'string' && data.name ? `"${data.name}"` : `#${data.id}`);

const money = (amount: unknown, currency: unknown) => `${(Number(amount) / 100).toFixed(2)} ${String(currency).toUpperCase()}`;

export function renderEmail(template: EmailTemplate, name: string, data: Record<string, unknown>): RenderedEmail {
  switch (template) {
    case 'welcome':
      return { subject: 'Welcome to Steveslist', text: `Hi ${name},\n\nwelcome to Steveslist! List something you no longer need, or find what you are looking for.\n\nThe Steveslist team\n` };
    case 'order_receipt_buyer':
      return { subject: `Your order #${data.id}: ${data.listing_name}`, text: `Hi ${name},\n\nyou bought "${data.listing_name}" for ${money(data.amount, data.currency)}. Order number: ${data.id}.\nThe seller has been told.\n\nThe Steveslist team\n` };
    case 'order_notice_seller':
      return { subject: `Sold: ${data.listing_name}`, text: `Hi ${name},\n\n"${data.listing_name}" was bought for ${money(data.amount, data.currency)} (order ${data.id}).\n\nThe Steveslist team\n` };
    case 'message_received':
      return { subject: 'You have a new message on Steveslist', text: `Hi ${name},\n\nsomeone wrote to you${data.listing_id == null ? '' : ` about listing ${data.listing_id}`}. Read and answer it on Steveslist at ${threadPath(data)} (or under Messages once logged in).\n\nThe Steveslist team\n` };
    case 'search_alert': {
      // A digest of new matches of one saved search, with RFC 8058 one-click unsubscribe.
      const listings = (Array.isArray(data.listings) ? data.listings : []) as Record<string, unknown>[];
      const lines = listings.map((l) => `- ${l.name} (${money(l.price_amount, l.price_currency)}, ${l.city}): ${l.url}`);
      const count = listings.length === 1 ? 'A new listing matches' : `${listings.length} new listings match`;
      return {
        subject: `${count} your search ${data.description}`,
        text: `Hi ${name},\n\n${count.toLowerCase()} your saved search ${data.description}:\n\n${lines.join('\n')}\n\n`
          + `Manage your alerts: ${data.manage_url}\nStop these emails: ${data.unsubscribe_url}\n\nThe Steveslist team\n`,
        headers: { 'List-Unsubscribe': `<${data.unsubscribe_url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      };
    }
    case 'listing_held': {
      // The rules' reasons, as the seller's webhooks get them: what to fix, not what was measured.
      const reasons = (Array.isArray(data.checks) ? data.checks : []) as { reason?: unknown }[];
      return {
        subject: `Your listing is under review: ${listingName(data)}`,
        text: `Hi ${name},\n\nyour listing ${listingName(data)} is under review, so it is not shown in search or for sale until a moderator has looked at it:\n`
          + reasons.map((check) => `- ${String(check.reason ?? '')}\n`).join('')
          + `\nYou need not do anything: you are emailed when a moderator has decided, usually within a day.\n\nThe Steveslist team\n`,
      };
    }
    case 'listing_cleared':
      return {
        subject: `Your listing is live again: ${listingName(data)}`,
        text: `Hi ${name},\n\na moderator reviewed your listing ${listingName(data)} and found nothing wrong: it is for sale and in search again at /listings/${data.id}.\n\nThe Steveslist team\n`,
      };
    case 'listing_removed':
      return {
        subject: `Your listing was removed: ${listingName(data)}`,
        text: `Hi ${name},\n\na moderator removed your listing ${listingName(data)} from Steveslist`
          + `${typeof data.reason === 'string' && data.reason ? `, for this reason: ${data.reason}` : ''}.\n`
          + `It is no longer shown or for sale.\n\nThe Steveslist team\n`,
      };
    case 'report':
      return {
        subject: String(data.subject), text: String(data.text),
        html: typeof data.html === 'string' ? data.html : undefined,
        attachments: Array.isArray(data.attachments) ? (data.attachments as EmailAttachment[]) : undefined,
      };
    case 'webhook_endpoint_disabled':
      return {
        subject: `Webhook endpoint disabled: ${data.url}`,
        text: `Hi ${name},\n\nwe disabled your webhook endpoint ${data.url} (id ${data.endpoint_id}): every delivery to it has failed since ${data.failing_since} UTC (${data.days} days).\n`
          + `The last error: ${data.last_error ?? 'unknown'}.\n\nDeliveries meanwhile are kept. Once the endpoint works again, enable it (PATCH /v1/webhook-endpoints/${data.endpoint_id} {"enabled": true})`
          + ` and replay what failed (POST /v1/webhook-endpoints/${data.endpoint_id}/replay).\n\nThe Steveslist team\n`,
      };
  }
}

/** Which emails a domain event causes: (template, user id) pairs. */
export function emailsFor(type: string, data: Record<string, unknown>): { template: EmailTemplate; userId: number }[] {
  switch (type) {
    case 'user.signed_up': return [{ template: 'welcome', userId: Number(data.id) }];
    case 'order.placed': return [{ template: 'order_receipt_buyer', userId: Number(data.buyer_id) }, { template: 'order_notice_seller', userId: Number(data.seller_id) }];
    case 'message.received': return [{ template: 'message_received', userId: Number(data.recipient_id) }];
    // Only a hold changes what the seller sees (a flag alone leaves the listing for sale), and only its release is news.
    case 'listing.flagged': return data.action === 'hold' ? [{ template: 'listing_held', userId: Number(data.seller_id) }] : [];
    // A seller removing their own listing knows; a moderator's removal is news to them.
    case 'listing.removed': return data.removed_by === 'admin' ? [{ template: 'listing_removed', userId: Number(data.seller_id) }] : [];
    case 'listing.cleared': return data.previous_status === 'pending_review' ? [{ template: 'listing_cleared', userId: Number(data.seller_id) }] : [];
    default: return [];
  }
}
