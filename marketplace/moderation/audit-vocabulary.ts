// What the audit trail records: its target types and actions. Imports nothing, so the staff
// console's filters are built from the same lists the server validates against.
export const AUDIT_TARGET_TYPES = ['listing', 'user', 'order', 'complaint', 'email', 'consumer_group', 'admin_user', 'warehouse', 'job', 'subscription', 'alert'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export const AUDIT_ACTIONS = [
  'listing.remove', 'user.warn', 'user.suspend', 'user.reinstate', 'user.view', 'user.view_messages', 'user.webhook_replay', 'order.refund', 'order.refund_failed', 'complaint.resolve', 'complaint.dismiss', 'complaint.assign', 'email.retry',
  'consumer_group.list_dead_letters', 'consumer_group.replay_dead_letters',
  'admin_user.login', 'admin_user.login_failed', 'admin_user.locked', 'admin_user.logout', 'warehouse.query', 'job.run',
  // The listing and spam checks' decisions (by `checks:<worker>`) and moderators' answers to them.
  'listing.hold', 'listing.flag', 'listing.clear', 'user.flag', 'user.rate_limit', 'user.dismiss_check',
  // Staff report subscriptions and alerts, each against its own row.
  'subscription.create', 'subscription.update', 'subscription.delete', 'subscription.send', 'alert.create', 'alert.update', 'alert.delete', 'alert.check',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
