import { describe, expect, it } from 'vitest';
import { recordBytes, splitIntoRequests } from './kafka-requests.js';

describe('splitting a publish into Kafka produce requests', () => {
  const message = (i: number, bytes = 900) => ({ key: `listings:${i}`, value: 'v'.repeat(bytes), headers: { op: 'u' } });

  it('keeps every message, in order, with each request within the limit', () => {
    const messages = Array.from({ length: 20_000 }, (_, i) => message(i));
    const requests = splitIntoRequests(messages, 1_048_576);
    expect(requests.flat()).toEqual(messages);
    expect(requests.length).toBeGreaterThan(15);
    for (const request of requests) expect(request.reduce((sum, m) => sum + recordBytes(m), 0)).toBeLessThanOrEqual(1_048_576);
  });

  it('sends a small publish as one request and a record bigger than any request alone', () => {
    expect(splitIntoRequests([message(1), message(2)])).toHaveLength(1);
    const huge = message(3, 2_000_000);
    expect(splitIntoRequests([message(1), huge, message(2)], 1_048_576)).toEqual([[message(1)], [huge], [message(2)]]);
  });

  it('counts a record by its bytes, not its characters', () => {
    expect(recordBytes({ key: null, value: 'é'.repeat(100) })).toBeGreaterThanOrEqual(200);
    expect(recordBytes({ key: null, value: Buffer.alloc(100) })).toBeGreaterThanOrEqual(100);
  });
});
