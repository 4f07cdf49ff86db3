// The JSON sink must write exactly JSON.stringify's text as UTF-8, whatever the bytes or values:
// change events written from the binlog's bytes are compared with it byte for byte downstream.
import { describe, expect, it } from 'vitest';
import { Random } from '../../marketplace/sample-data/random.js';
import { JsonSink } from './json-sink.js';

const expected = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

function written(write: (sink: JsonSink) => void, sink = new JsonSink()): Buffer {
  write(sink);
  return Buffer.from(sink.take());
}

describe('JsonSink', () => {
  it('writes UTF-8 text bytes as JSON.stringify writes the string Buffer#toString reads from them, valid or not', () => {
    const rng = new Random(11);
    // Bytes drawn mostly from the interesting ones: controls, quote, backslash, DEL, UTF-8 lead and continuation bytes.
    const pool = [0, 1, 8, 9, 10, 12, 13, 31, 0x20, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0xbf, 0xc3, 0xa9, 0xe2, 0x80, 0xa8, 0xf0, 0x9f, 0x9a, 0xb2, 0xed, 0xa0, 0xff];
    const sink = new JsonSink();
    for (let n = 0; n < 5000; n++) {
      const bytes = Buffer.from(Array.from({ length: rng.int(0, 24) }, () => (rng.int(0, 3) === 0 ? rng.int(0, 255) : pool[rng.int(0, pool.length - 1)]!)));
      const framed = Buffer.concat([Buffer.from('xx'), bytes, Buffer.from('yy')]);
      expect(written((s) => s.utf8Text(framed, 2, 2 + bytes.length), sink), bytes.toString('hex')).toEqual(expected(bytes.toString('utf8')));
    }
    const text = 'plain ascii, é, 🚲, \u2028, "quoted" \\ \t\n\u0000';
    expect(written((s) => s.utf8Text(Buffer.from(text), 0, Buffer.byteLength(text)))).toEqual(expected(text));
  });

  it('writes strings, numbers, null and other values as JSON.stringify does', () => {
    const values: unknown[] = [
      '', 'abc', 'a"b', 'back\\slash', 'tab\t', '\u0001', '\u007f', 'é', '🚲', '\ud800', '2026-12-07T10:00:00.123456Z',
      0, -0, 1, -1, 9, 10, 99, 100, 123456789, -987654321, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, 1e21, 0.1, -1.5e-10, 3.14, NaN, Infinity,
      null, undefined, true, false, { a: [1, 'x'] }, [1, 2],
    ];
    for (const value of values) {
      expect(written((s) => s.value(value)), String(value)).toEqual(Buffer.from(value === undefined ? 'null' : JSON.stringify(value)));
    }
  });

  it('keeps a message whole when it outgrows its slab, and earlier views unchanged', () => {
    const sink = new JsonSink();
    sink.ascii('"first"');
    const first = sink.take();
    const big = 'x'.repeat(700_000);
    sink.ascii('[');
    sink.string(big);
    sink.ascii(',');
    const offset = sink.written;
    sink.string(big);
    sink.ascii(']');
    expect(sink.textAt(offset, offset + 3)).toBe('"xx');
    const second = sink.take();
    expect(first.toString()).toBe('"first"');
    expect(second.equals(expected([big, big]))).toBe(true);
  });
});
