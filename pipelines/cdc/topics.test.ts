import { describe, expect, it } from 'vitest';
import { eventsTopic, eventsTopicPattern, tableTopic, tableTopicPattern, TableFilter } from './topics.js';

describe('topics and table filters', () => {
  it('names topics as Debezium does', () => {
    expect(tableTopic('steveslist', 'shop', 'listings')).toBe('steveslist.shop.listings');
    expect(eventsTopic('steveslist', 'order')).toBe('steveslist.events.order');
  });

  it('captures every table of the database unless told otherwise', () => {
    const filter = new TableFilter({ database: 'shop', include: [], exclude: ['schema_migrations'], excludeColumns: [] });
    expect(filter.accepts('shop', 'listings')).toBe(true);
    expect(filter.accepts('shop', 'schema_migrations')).toBe(false);
    expect(filter.accepts('other', 'listings')).toBe(false);
  });

  it('limits capture to the include list, qualified or not, and exclusion wins', () => {
    const filter = new TableFilter({ database: 'shop', include: ['listings', 'shop.orders', 'other.audit'], exclude: ['orders'], excludeColumns: [] });
    expect(['listings', 'orders', 'users'].map((t) => filter.accepts('shop', t))).toEqual([true, false, false]);
    expect(filter.accepts('other', 'audit')).toBe(true);
  });

  it('drops excluded columns from rows', () => {
    const filter = new TableFilter({ database: 'shop', include: [], exclude: [], excludeColumns: ['user_credentials.password_hash', 'shop.webhook_endpoints.secret'] });
    expect(filter.strip('shop', 'user_credentials', { user_id: 1, password_hash: 'x', failed_attempts: 0 })).toEqual({ user_id: 1, failed_attempts: 0 });
    expect(filter.strip('shop', 'webhook_endpoints', { id: 1, secret: 'whsec_x' })).toEqual({ id: 1 });
    expect(filter.strip('shop', 'listings', { id: 1 })).toEqual({ id: 1 });
    expect(filter.strip('shop', 'user_credentials', null)).toBeNull();
  });
});

describe('topic patterns', () => {
  it('match the prefix literally', () => {
    expect(eventsTopicPattern('sl').test('sl.events.order')).toBe(true);
    expect(eventsTopicPattern('sl').test('slXevents.order')).toBe(false);
    expect(tableTopicPattern('sl', 'shop').test('sl.shop.listings')).toBe(true);
    expect(tableTopicPattern('sl', 'shop').test('sl.shopping.listings')).toBe(false);
  });
});
