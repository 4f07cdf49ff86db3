// The event types an endpoint can subscribe to: the domain events that concern a user (see the
// webhook enqueuer's recipients), and the test event an owner sends to check a receiver.
export const WEBHOOK_EVENT_TYPES = [
  'user.signed_up', 'user.suspended', 'user.reinstated',
  'listing.created', 'listing.updated', 'listing.removed', 'listing.flagged', 'listing.cleared',
  'order.placed', 'order.refunded',
  'message.received',
  'search_alert.matched',
  'webhook.test',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
