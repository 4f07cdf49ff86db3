// Kafka's default partitioner (murmur2 of the key bytes, made positive, modulo the partition
// count), so a key lands in the same partition number on the embedded log and on Kafka.

export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = (data[i]! & 0xff) | ((data[i + 1]! & 0xff) << 8) | ((data[i + 2]! & 0xff) << 16) | ((data[i + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  // The tail bytes, as Kafka's fall-through switch mixes them.
  const tail = length % 4;
  if (tail === 3) h ^= (data[length4 + 2]! & 0xff) << 16;
  if (tail >= 2) h ^= (data[length4 + 1]! & 0xff) << 8;
  if (tail >= 1) {
    h ^= data[length4]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

export function partitionFor(key: string, partitions: number): number {
  return partitionOfBytes(Buffer.from(key, 'utf8'), partitions);
}

/** partitionFor of a key already in UTF-8 bytes. */
export function partitionOfBytes(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
