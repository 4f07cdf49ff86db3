// The row images of one rows event, left in the binlog's bytes: change events are written from
// them straight to JSON (row-json.ts), and a row is decoded into values only when something asks
// for it (the outbox, signals, callers of RowChange's before and after).
import type { Row } from './envelope.js';
import type { RowChange } from './binlog-stream.js';
import { decodeRowImage, skipRowImage, type TableDecoder } from './rows-decoder.js';

export class EncodedRows {
  /** Where each image starts in `bytes`, and where the last one ends. */
  readonly starts: number[] = [];

  /**
   * `bytes` holds the images from offset `from` to its end (a copy: the connection's buffers are
   * not the reader's to keep). For an update images alternate before, after; `presentAfter` then
   * says which columns the after images hold.
   */
  constructor(
    readonly decoder: TableDecoder,
    readonly bytes: Buffer,
    from: number,
    readonly present: Buffer,
    readonly presentAfter: Buffer | undefined,
    /** Where the rows event starts in its binlog file (for errors). */
    readonly pos: number,
  ) {
    let at = from;
    while (at < bytes.length) {
      this.starts.push(at);
      at = skipRowImage(decoder, bytes, at, this.presentOf(this.starts.length - 1));
    }
    if (at !== bytes.length) {
      throw new Error(`CDC: the rows event of ${decoder.database}.${decoder.table} at binlog position ${pos} does not end where its columns' sizes say; its rows cannot be decoded`);
    }
    this.starts.push(at);
  }

  get images(): number {
    return this.starts.length - 1;
  }

  presentOf(image: number): Buffer {
    return this.presentAfter && image % 2 === 1 ? this.presentAfter : this.present;
  }

  /** Image `image` as values (a new object each time: callers finish it in place). */
  row(image: number): Row {
    return decodeRowImage(this.decoder, this.bytes, this.starts[image]!, this.presentOf(image));
  }
}

/** A row change whose images stay encoded until asked for: `row` is its index in the event. */
export class EncodedRowChange implements RowChange {
  constructor(
    readonly op: 'c' | 'u' | 'd',
    readonly database: string,
    readonly table: string,
    readonly columnTypes: Map<string, number>,
    readonly pos: number,
    readonly row: number,
    readonly binaryColumns: readonly string[],
    readonly images: EncodedRows,
  ) {}

  /** The image index of the before image, or -1 (an insert has none). */
  get beforeImage(): number {
    return this.op === 'c' ? -1 : this.op === 'u' ? this.row * 2 : this.row;
  }

  get afterImage(): number {
    return this.op === 'd' ? -1 : this.op === 'u' ? this.row * 2 + 1 : this.row;
  }

  get before(): Row | null {
    const image = this.beforeImage;
    return image < 0 ? null : this.images.row(image);
  }

  get after(): Row | null {
    const image = this.afterImage;
    return image < 0 ? null : this.images.row(image);
  }
}
