// One term's posting list: the ordinals of the documents holding it, ascending (ordinals only grow),
// each with its precomputed BM25 term-frequency part, so a query multiplies by the term's idf only.

export class Postings {
  docs: Int32Array = new Int32Array(4);
  impacts: Float32Array = new Float32Array(4);
  length = 0;
  /** While a document is put: which put `pendingWeight` belongs to (memory-index.ts). */
  pendingFor = -1;
  pendingWeight = 0;

  push(ordinal: number, impact: number): void {
    if (this.length === this.docs.length) {
      const docs = new Int32Array(Math.max(4, this.length * 2));
      docs.set(this.docs);
      this.docs = docs;
      const impacts = new Float32Array(Math.max(4, this.length * 2));
      impacts.set(this.impacts);
      this.impacts = impacts;
    }
    this.docs[this.length] = ordinal;
    this.impacts[this.length] = impact;
    this.length++;
  }

  /**
   * Renumbers after a compaction: `moved[old]` is the new ordinal, or -1 for a dropped document.
   * Order is kept because live documents keep their relative order.
   */
  renumber(moved: Int32Array): void {
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      const next = moved[this.docs[i]!]!;
      if (next < 0) continue;
      this.docs[kept] = next;
      this.impacts[kept] = this.impacts[i]!;
      kept++;
    }
    this.length = kept;
    if (kept < this.docs.length / 4 && this.docs.length > 16) {
      this.docs = this.docs.slice(0, Math.max(4, kept * 2));
      this.impacts = this.impacts.slice(0, Math.max(4, kept * 2));
    }
  }
}
