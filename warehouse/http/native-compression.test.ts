import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJdbcFailure, runJdbcQuery } from '../../test/fixtures/jdbc.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { BLOCK_BYTES, cityHash128, compressBlocks, decompressBlocks, lz4Compress, NativeCompressionError } from './native-compression.js';

// Published with ClickHouse.jl's tests (test/ch/fw_ch128_key.txt): CityHash128 of each prefix of
// this text, computed by ClickHouse's C++ CityHash v1.0.2. The lengths below cover every branch:
// under 8, 8-15, 16-127 (the murmur path), 128 and over (the unrolled loop) and its 32-byte tails.
const TEXT = "riverrun, past Eve and Adam's, from swerve of shore to bend of bay, brings us by a commodius vicus of recirculation back to Howth Castle and Environs. Sir Tristram, violer d'amores, fr'over the short sea, had passen- core rearrived from North Armorica on this side the scraggy isthmus of Europe Minor to wielderfight his penisolate war: nor had topsawyer's rocks by the stream Oconee exaggerated themselse to Laurens County's gorgios while they went doublin their mumper all the time: nor avoice from afire bellowsed mishe mishe to tauftauf thuartpeatrick: not yet, though venissoon after, had a kidscad buttended a bland old isaac: not yet, though all's fair in vanessy, were sosie sesthers wroth with twone nathandjoe. Rot a peck of pa's malt had Jhem or Shen brewed by arclight and rory end to the regginbrow was to be seen ringsome on the aquaface.";
const PREFIX_HASHES: [length: number, low: bigint, high: bigint][] = [
  [0, 0x3df09dfc64c09a2bn, 0x3cb540c392e51e29n],
  [1, 0x61e4839d34ab66ben, 0x4ac4fee1e345e52en],
  [3, 0xbdee93437bf541bn, 0x116890985726cd2an],
  [4, 0xca8ff8cb51e3d6b0n, 0x46dedd496d8ce43an],
  [7, 0x3fe0bdd5739b5342n, 0xfcea52cdd3944f4dn],
  [8, 0xcfacd0b730646eadn, 0xeb0c4a591371cf1an],
  [9, 0x3df0ff979b504570n, 0xe87ca1c6950656adn],
  [15, 0x35f8a6d9a4f4167fn, 0x30677deba40577ccn],
  [16, 0x2d5619d859eef3d6n, 0xb05185d323a4cf97n],
  [17, 0x3d347eb0293c3ffen, 0x905ec934f42a4ebn],
  [31, 0xdddebc2dccad0c60n, 0x31f640ffe72fbcb3n],
  [32, 0x85d64eca5dd565f5n, 0x5984138e09d5dc42n],
  [33, 0xeb9242106f71b6c4n, 0x9302e86256573740n],
  [64, 0xeeeadd5089b53113n, 0x2452a9f1b77a3b4bn],
  [127, 0xced6428f203ceca6n, 0x27182b66c3dcafe2n],
  [128, 0x3fd07d30d773b0a5n, 0xeadd5e9a38f3c73bn],
  [129, 0x91ebe9ac7b8e78e6n, 0xbf0e2479931a3107n],
  [159, 0xf7ffe7e06450708cn, 0x5e009ffe83824080n],
  [160, 0xc9971e999a44c9aen, 0x5a7d10b748a6f91n],
  [191, 0x4752863b78021634n, 0xf498b036f742c33bn],
  [255, 0xa5e804186debd13en, 0x5a4af22820183ebdn],
  [256, 0xdeda002d0f5a2134n, 0x2d7504b077fb9022n],
  [300, 0x7c62f3e73ba06a4n, 0x116be3b37d5c9f5cn],
  [383, 0x91baa9df4cc1e90bn, 0x5cbea53a9c9a235en],
  [500, 0xdb9edc8777c61944n, 0x7dba9e82c76c162cn],
  [640, 0x9306ea5b77da7965n, 0x75b937fc5778e6bdn],
  [852, 0x7f4604f1d0fbc41dn, 0xf8740207f30ff442n],
];

function faultOf(run: () => unknown): { code: number; name: string } | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof NativeCompressionError) return error.kind;
    throw error;
  }
  return undefined;
}

/** A block with a chosen method byte and payload, checksummed as ClickHouse would. */
function block(method: number, payload: Buffer, uncompressedSize: number): Buffer {
  const out = Buffer.alloc(25 + payload.length);
  out[16] = method;
  out.writeUInt32LE(9 + payload.length, 17);
  out.writeUInt32LE(uncompressedSize, 21);
  payload.copy(out, 25);
  const [low, high] = cityHash128(out.subarray(16));
  out.writeBigUInt64LE(low, 0);
  out.writeBigUInt64LE(high, 8);
  return out;
}

describe('cityHash128', () => {
  it.each(PREFIX_HASHES)('matches ClickHouse\'s CityHash128 v1.0.2 on a %i-byte input', (length, low, high) => {
    expect(cityHash128(Buffer.from(TEXT.slice(0, length), 'latin1'))).toEqual([low, high]);
  });
});

describe('compressBlocks / decompressBlocks', () => {
  const inputs: [string, Buffer][] = [
    ['nothing', Buffer.alloc(0)],
    ['fewer bytes than LZ4 ever matches', Buffer.from('hello world!')],
    ['one repeated byte (matches overlapping their own output)', Buffer.alloc(100_000, 0x61)],
    ['random bytes (nothing to match)', randomBytes(70_000)],
    ['text with repeats', Buffer.from(TEXT.repeat(200))],
    ['more than one block', Buffer.concat([randomBytes(BLOCK_BYTES), Buffer.from(TEXT.repeat(3000))])],
  ];

  it.each(inputs)('round-trips %s', (_, data) => {
    expect(decompressBlocks(compressBlocks(data)).equals(data)).toBe(true);
  });

  it('writes LZ4 blocks of at most 1 MiB each, the only method the JDBC driver reads', () => {
    const data = Buffer.from(TEXT.repeat(3000)); // about 2.5 MB
    const compressed = compressBlocks(data);
    let blocks = 0;
    for (let offset = 0; offset < compressed.length; offset += 16 + compressed.readUInt32LE(offset + 17)) {
      expect(compressed[offset + 16]).toBe(0x82);
      expect(compressed.readUInt32LE(offset + 21)).toBeLessThanOrEqual(BLOCK_BYTES);
      blocks++;
    }
    expect(blocks).toBe(Math.ceil(data.length / BLOCK_BYTES));
    expect(compressed.length).toBeLessThan(data.length / 20);
  });

  it('reads uncompressed (method 0x02) blocks', () => {
    const payload = Buffer.from('SELECT 1');
    expect(decompressBlocks(block(0x02, payload, payload.length)).toString()).toBe('SELECT 1');
  });

  it('refuses a block whose checksum does not match with CHECKSUM_DOESNT_MATCH', () => {
    const compressed = compressBlocks(Buffer.from(TEXT));
    compressed[40] = compressed[40]! ^ 1;
    expect(faultOf(() => decompressBlocks(compressed))).toEqual({ code: 40, name: 'CHECKSUM_DOESNT_MATCH' });
  });

  it('refuses a truncated body and an LZ4 block that expands to another size with CANNOT_DECOMPRESS', () => {
    const compressed = compressBlocks(Buffer.from(TEXT));
    expect(faultOf(() => decompressBlocks(compressed.subarray(0, compressed.length - 1)))).toEqual({ code: 271, name: 'CANNOT_DECOMPRESS' });
    expect(faultOf(() => decompressBlocks(compressed.subarray(0, 20)))).toEqual({ code: 271, name: 'CANNOT_DECOMPRESS' });
    expect(faultOf(() => decompressBlocks(block(0x82, lz4Compress(Buffer.from(TEXT)), TEXT.length + 1)))).toEqual({ code: 271, name: 'CANNOT_DECOMPRESS' });
  });

  it('refuses a match pointing before the start of the block with CANNOT_DECOMPRESS', () => {
    // token: 1 literal, match length 4; literal 'a'; offset 2 (only one byte written so far); then 5 literals.
    const payload = Buffer.from([0x10, 0x61, 0x02, 0x00, 0x50, 0x62, 0x62, 0x62, 0x62, 0x62]);
    expect(faultOf(() => decompressBlocks(block(0x82, payload, 10)))).toEqual({ code: 271, name: 'CANNOT_DECOMPRESS' });
  });

  it('refuses ZSTD blocks with UNKNOWN_COMPRESSION_METHOD', () => {
    expect(faultOf(() => decompressBlocks(block(0x90, Buffer.from('zstd frame'), 100)))).toEqual({ code: 89, name: 'UNKNOWN_COMPRESSION_METHOD' });
  });

  it('stops at maxBytes before decompressing a block past it', () => {
    const compressed = compressBlocks(Buffer.alloc(10_000, 0x61));
    expect(faultOf(() => decompressBlocks(compressed, { maxBytes: 9_999 }))).toEqual({ code: 271, name: 'CANNOT_DECOMPRESS' });
    expect(decompressBlocks(compressed, { maxBytes: 10_000 }).length).toBe(10_000);
  });
});

describe('read by the official ClickHouse JDBC driver', () => {
  // A bare HTTP endpoint answering with chDB's own RowBinaryWithNamesAndTypes bytes, compressed
  // when the driver asks (compress=1, its default): the driver checks every block's checksum. With
  // decompress=1 the driver sends the SQL itself as blocks made by lz4-java.
  const dir = tempDir('native-compression-');
  let session: Session;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    session = new Session(dir.path);
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const params = new URL(request.url!, 'http://localhost').searchParams;
        const answer = async (): Promise<Buffer> => {
          const body = Buffer.concat(chunks);
          const sql = (params.get('decompress') === '1' ? decompressBlocks(body) : body).toString();
          const raw = Buffer.from((await session.queryAsync(sql, { format: 'RowBinaryWithNamesAndTypes' })).bytes());
          return params.get('compress') === '1' ? compressBlocks(raw) : raw;
        };
        answer().then(
          (body) => response.writeHead(200, { 'X-ClickHouse-Format': 'RowBinaryWithNamesAndTypes', 'X-ClickHouse-Timezone': 'UTC' }).end(body),
          (error: Error) => response.writeHead(500, { 'X-ClickHouse-Exception-Code': '1001' }).end(`Code: 1001. DB::Exception: ${error.message}`),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `jdbc:clickhouse://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    session.cleanup();
    dir.remove();
  });

  it('reads a multi-block result set compressed by compressBlocks', async () => {
    const sql = "SELECT number AS n, repeat('ab', 20) AS s, if(number % 2 = 0, NULL, toString(number)) AS maybe FROM numbers(60000)";
    const result = await runJdbcQuery({ url, user: 'default', password: '', sql });
    if (isJdbcFailure(result)) throw new Error(result.error);
    expect(result.columns).toEqual(['n', 's', 'maybe']);
    expect(result.types).toEqual(['UInt64', 'String', 'Nullable(String)']);
    expect(result.rows).toHaveLength(60000);
    expect(result.rows[59999]).toEqual(['59999', 'ab'.repeat(20), '59999']);
    expect(result.rows[0]).toEqual(['0', 'ab'.repeat(20), null]);
  }, 300_000);

  it('sends a request body compressed with lz4-java that decompressBlocks reads (decompress=1)', async () => {
    const sql = `SELECT '${'steveslist '.repeat(40)}' AS repeated, ${Array.from({ length: 30 }, (_, i) => `${i} AS c${i}`).join(', ')}`;
    const result = await runJdbcQuery({ url, user: 'default', password: '', sql, properties: { decompress: 'true' } });
    if (isJdbcFailure(result)) throw new Error(result.error);
    expect(result.rows).toEqual([['steveslist '.repeat(40), ...Array.from({ length: 30 }, (_, i) => String(i))]]);
  }, 300_000);
});
