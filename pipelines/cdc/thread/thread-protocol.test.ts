// A batch crosses from capture's thread as one transferred buffer: every message must come out
// as it went in, whatever the mix of sizes, text and bytes, and the buffer holds nothing more.
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../bus/port.js';
import { packMessages, unpackMessages } from './thread-protocol.js';

describe('packed messages', () => {
  it("come out byte for byte with their keys, headers, partitions and timestamps, in a buffer of exactly their bytes", () => {
    const messages: OutgoingMessage[] = [];
    for (let i = 0; i < 3000; i++) {
      const text = `{"n":${i},"text":"${'é🚲x'.repeat(i % 200)}"}`;
      messages.push({ key: i % 7 === 0 ? null : `{"id":${i}}`, value: i % 3 === 0 ? Buffer.from(text) : text });
    }
    messages.push({ key: 'k', value: null, headers: { id: '1', type: 'listing.created' } });
    messages.push({ key: null, value: 'x'.repeat(1_500_000), partition: 3 });
    messages.push({ key: 'big', value: Buffer.alloc(2_500_000, 7), timestampMs: 42 });
    messages.push({ key: 'last', value: '' });
    const { packed, transfer } = packMessages(messages);
    const bytes = messages.reduce((n, m) => n + (m.value === null ? 0 : Buffer.byteLength(m.value)), 0);
    expect(packed.data.byteLength).toBe(bytes);
    const out = unpackMessages(structuredClone(packed, { transfer }));
    expect(out.length).toBe(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const sent = messages[i]!;
      const got = out[i]!;
      expect(got.key, `key ${i}`).toBe(sent.key);
      expect(got.value === null ? null : Buffer.from(got.value).toString('utf8'), `value ${i}`).toBe(sent.value === null ? null : Buffer.from(sent.value).toString('utf8'));
      expect([got.headers, got.partition, got.timestampMs]).toEqual([sent.headers, sent.partition, sent.timestampMs]);
    }
  });
});
