// JSON written as bytes into large slabs, for change events made straight from the binlog's bytes
// (see row-json.ts): a row's text goes from the binlog to the event without becoming a string,
// and an event is one view of a slab, not an object tree, a string and its UTF-8 copy. Every
// write gives exactly the bytes of JSON.stringify's text encoded as UTF-8.
import { isUtf8 } from 'node:buffer';

const SLAB_BYTES = 1 << 20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';
/** JSON.stringify's short escapes of control characters; the others are \u00XX. */
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };

export class JsonSink {
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  /** Where the message being written starts, and where the next byte goes. */
  private start = 0;
  at = 0;

  /** Bytes written since the last take(): offsets in the message being written, kept across slabs. */
  get written(): number {
    return this.at - this.start;
  }

  /** Text of the message being written, from one offset (see written) to another. */
  textAt(from: number, to: number): string {
    return this.slab.toString('utf8', this.start + from, this.start + to);
  }

  /** The bytes written since the last call, as a view that stays valid after later writes. */
  take(): Buffer {
    const taken = this.slab.subarray(this.start, this.at);
    this.start = this.at;
    return taken;
  }

  /** Room for `bytes` more; a full slab is left to the views made of it, and the message moves on. */
  reserve(bytes: number): Buffer {
    if (this.at + bytes <= this.slab.length) return this.slab;
    const written = this.at - this.start;
    const next = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, (written + bytes) * 2));
    this.slab.copy(next, 0, this.start, this.at);
    this.slab = next;
    this.start = 0;
    this.at = written;
    return next;
  }

  /** Text known to be ASCII and to need no escaping (names made of JSON already, digits). */
  ascii(text: string): void {
    const out = this.reserve(text.length);
    let at = this.at;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    this.at = at;
  }

  /** Bytes that are JSON already. */
  bytes(source: Buffer): void {
    const out = this.reserve(source.length);
    // Most are a column's name: a loop costs less than the native copy's call.
    if (source.length > 64) {
      source.copy(out, this.at);
      this.at += source.length;
      return;
    }
    let at = this.at;
    for (let i = 0; i < source.length; i++) out[at++] = source[i]!;
    this.at = at;
  }

  /** Any string as it is (JSON already), in UTF-8. */
  utf8(text: string): void {
    const out = this.reserve(text.length * 3);
    this.at += out.write(text, this.at, 'utf8');
  }

  /** An integer within ±2^53, as JSON.stringify writes it. */
  integer(value: number): void {
    const out = this.reserve(17);
    let at = this.at;
    if (value < 0) {
      out[at++] = 0x2d;
      value = -value;
    }
    if (value < 10) {
      out[at++] = 0x30 + value;
      this.at = at;
      return;
    }
    let digits = 0;
    for (let rest = value; rest >= 1; rest = Math.floor(rest / 10)) digits++;
    at += digits;
    this.at = at;
    for (let rest = value; rest >= 1; rest = Math.floor(rest / 10)) out[--at] = 0x30 + (rest % 10);
  }

  /** A value as JSON.stringify writes it: numbers, strings and null fast, anything else through it. */
  value(value: unknown): void {
    if (typeof value === 'number') {
      if (Number.isSafeInteger(value)) this.integer(value);
      else this.ascii(JSON.stringify(value));
    } else if (typeof value === 'string') this.string(value);
    else if (value === null || value === undefined) this.ascii('null');
    else this.utf8(JSON.stringify(value));
  }

  /** A string as a JSON string. */
  string(text: string): void {
    const out = this.reserve(text.length + 2);
    const begin = this.at;
    let at = begin;
    out[at++] = QUOTE;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x20 || code === QUOTE || code === BACKSLASH || code >= 0x80) {
        // Escapes and characters beyond ASCII: the rare case, written by JSON.stringify.
        this.at = begin;
        this.utf8(JSON.stringify(text));
        return;
      }
      out[at++] = code;
    }
    out[at++] = QUOTE;
    this.at = at;
  }

  /**
   * UTF-8 text from `source` as a JSON string, copied byte for byte but for the escapes JSON
   * needs. Bytes that are not UTF-8 take the string's way, so they read as Buffer#toString
   * reads them (U+FFFD), as before.
   */
  utf8Text(source: Buffer, start: number, end: number): void {
    // Most text needs no escape: looked for first (reading only), then copied in one go.
    let clean = start;
    let beyondAscii = false;
    for (; clean < end; clean++) {
      const byte = source[clean]!;
      if (byte < 0x20 || byte === QUOTE || byte === BACKSLASH) break;
      if (byte >= 0x80) beyondAscii = true;
    }
    if (clean === end && (!beyondAscii || isUtf8(source.subarray(start, end)))) {
      const out = this.reserve(end - start + 2);
      out[this.at++] = QUOTE;
      if (end - start > 64) this.at += source.copy(out, this.at, start, end);
      else for (let i = start; i < end; i++) out[this.at++] = source[i]!;
      out[this.at++] = QUOTE;
      return;
    }
    const out = this.reserve((end - start) * 6 + 2);
    const begin = this.at;
    let at = begin;
    out[at++] = QUOTE;
    for (let i = start; i < end; i++) {
      const byte = source[i]!;
      if (byte >= 0x20 && byte !== QUOTE && byte !== BACKSLASH) {
        if (byte >= 0x80) beyondAscii = true;
        out[at++] = byte;
        continue;
      }
      out[at++] = BACKSLASH;
      if (byte === QUOTE || byte === BACKSLASH) out[at++] = byte;
      else if (SHORT_ESCAPES[byte] !== undefined) out[at++] = SHORT_ESCAPES[byte]!;
      else {
        out[at++] = 0x75;
        out[at++] = 0x30;
        out[at++] = 0x30;
        out[at++] = HEX.charCodeAt(byte >> 4);
        out[at++] = HEX.charCodeAt(byte & 0xf);
      }
    }
    out[at++] = QUOTE;
    if (beyondAscii && !isUtf8(source.subarray(start, end))) {
      this.at = begin;
      this.utf8(JSON.stringify(source.toString('utf8', start, end)));
      return;
    }
    this.at = at;
  }
}
