import * as ort from 'onnxruntime-node';
import { int64, LOGITS_FROM, qkvOutput, rotateNewKey, type Manifest, type RotaryTables } from '../bundle/index.ts';
import { lmFeeds, namedPast } from './past.ts';

type Outputs = ort.InferenceSession.OnnxValueMapType;

/** Where a sequence's cache lives: row `row` of a [rows, H_kv, width, D] array per layer key/value, its first `length` positions valid. */
interface CacheRow {
  data: Float32Array[];
  row: number;
  width: number;
}

/** A generation's place in the decode batch, from its prefill until it leaves. */
export class Sequence {
  cache: CacheRow;
  /** The token waiting for the next step, and who gets its logits row. */
  pending: { token: number; resolve: (logits: Float32Array) => void; reject: (err: Error) => void } | null = null;
  left = false;

  /** `length`: valid positions (prefix + prompt + tokens fed); `capacity`: the most it may reach. */
  constructor(private readonly batcher: DecodeBatcher, present: ort.Tensor[], public length: number, readonly capacity: number) {
    this.cache = { data: present.map((t) => t.data as Float32Array), row: 0, width: length };
  }

  /** Feeds `token` at the next position; resolves with the logits [V] of the position after it (valid until the next step). */
  step(token: number): Promise<Float32Array> {
    if (this.left) return Promise.reject(new Error('the sequence has left the batch'));
    if (this.length >= this.capacity) return Promise.reject(new RangeError(`the sequence is at its capacity of ${this.capacity} positions`));
    return new Promise((resolve, reject) => {
      this.pending = { token, resolve, reject };
      this.batcher.wake();
    });
  }

  /** Done (stopped, cut off or cancelled): the row is dropped at the next step. */
  leave(): void {
    if (this.left) return;
    this.left = true;
    this.batcher.dropped(this);
  }
}

/**
 * One LM session shared by every generation in flight: passes run one at a time, and the decode steps of
 * all sequences in the batch run as one pass (continuous batching: a sequence joins after its prefill and
 * leaves when it stops, between steps). Exclusive passes (prefills, span reading) and batched steps share
 * the LM's time equally while both wait: a prefill (hundreds of ms) runs only once the batch has had as
 * much time since, so answers in flight keep decoding while new ones arrive, and new ones still start.
 *
 * The batch's cache is a slab of one [maxBatch, H_kv, W, D] array per layer key/value, W at least the
 * largest capacity of its rows; rows 0..B-1 are in use, each right-padded: row b holds its sequence's
 * positions 0..length-1 and the attention mask marks them, which is how GroupQueryAttention reads each
 * row's own length and places its token. A step passes the first B rows as they lie, fetches only the
 * logits and each layer's query/key/value projection of the new token (bundle/lm-graph.ts), and writes the
 * key (rotated to its position) and the value into the slab in place: no step copies the cache. A row
 * that joins or leaves costs one row's copy (arrange).
 * `maxBatch` 1 turns batching off: sequences then decode one at a time, the next joining when one leaves.
 */
export class DecodeBatcher {
  private readonly exclusive: { run: () => Promise<Outputs>; resolve: (o: Outputs) => void; reject: (e: Error) => void }[] = [];
  /** Sequences in the batch, in row order, and those waiting for a row. */
  private rows: Sequence[] = [];
  private readonly joining: Sequence[] = [];
  /** The batch's cache: one [maxBatch, H_kv, width, D] array per layer key/value, rows 0..B-1 in use. */
  private slab: Float32Array[] = [];
  private width = 0;
  private busy = false;
  private woken = false;
  /** LM time spent on exclusive passes minus time spent on steps while both waited (ms): who goes next. */
  private owed = 0;
  private readonly fetches: string[];
  /** Steps run, rows stepped (their ratio is the mean batch), and cache layouts made. */
  readonly stats = { steps: 0, rowsStepped: 0, relayouts: 0 };

  constructor(private readonly session: ort.InferenceSession, private readonly manifest: Manifest, private readonly rotary: RotaryTables, private readonly maxBatch: number) {
    if (!(maxBatch >= 1)) throw new RangeError(`maxBatch must be at least 1, got ${maxBatch}`);
    this.fetches = ['logits', ...Array.from({ length: manifest.dims.lm_layers }, (_, l) => qkvOutput(l))];
  }

  /**
   * One pass over `ids` after `past`, the first at `position`, queued behind the pass in flight: logits
   * from `logitsFrom` on (lmFeeds), and the cache too unless `logitsOnly` (onnxruntime-node copies every
   * output fetched into a new array: a whole cache is ~46 KB a position).
   */
  forward(ids: number[], past: ort.Tensor[], position: number, { logitsFrom = 0, logitsOnly = false } = {}): Promise<Outputs> {
    return new Promise((resolve, reject) => {
      const run = () => {
        const feeds = lmFeeds(this.manifest, ids, past, position, logitsFrom);
        return logitsOnly ? this.session.run(feeds, ['logits']) : this.session.run(feeds);
      };
      this.exclusive.push({ run, resolve, reject });
      this.wake();
    });
  }

  /**
   * Adds a prefilled sequence: `present` (one [1, H_kv, length, D] tensor per layer key/value, read once it
   * has a row) and the most positions it may reach, `capacity` (its length plus the tokens it may still feed).
   */
  join(present: ort.Tensor[], length: number, capacity: number): Sequence {
    const seq = new Sequence(this, present, length, Math.max(capacity, length));
    this.joining.push(seq);
    return seq;
  }

  /** @internal a sequence left: fail its pending step; it is dropped from the rows at the next step. */
  dropped(seq: Sequence): void {
    seq.pending?.reject(new Error('the sequence left the batch'));
    seq.pending = null;
    const waiting = this.joining.indexOf(seq);
    if (waiting >= 0) this.joining.splice(waiting, 1);
    this.wake();
  }

  /** @internal something changed: run the next pass once the current one (and the callers' synchronous work) is done. */
  wake(): void {
    if (this.busy || this.woken) return;
    this.woken = true;
    setImmediate(() => {
      this.woken = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    const stepReady = this.rows.some((s) => s.pending) || this.joining.some((s) => s.pending);
    const takeExclusive = this.exclusive.length > 0 && (!stepReady || this.owed <= 0);
    if (!takeExclusive && !stepReady) return;
    const contended = this.exclusive.length > 0 && stepReady;
    this.busy = true;
    const started = performance.now();
    try {
      if (takeExclusive) {
        const job = this.exclusive.shift()!;
        await job.run().then(job.resolve, job.reject);
      } else {
        await this.step();
      }
    } finally {
      const ms = performance.now() - started;
      // only time spent while the other side waited counts; an idle side is owed nothing
      if (contended) this.owed += takeExclusive ? ms : -ms;
      else this.owed = 0;
      this.busy = false;
      this.wake();
    }
  }

  /** One decode pass over every row with a token waiting (admitting waiting sequences while there is room). */
  private async step(): Promise<void> {
    this.arrange();
    const stepping = this.rows;
    if (!stepping.length) return;
    const B = stepping.length;
    const width = this.width;
    const { lm_kv_heads: H, lm_head_dim: D } = this.manifest.dims;
    const mask = new Array<number>(B * (width + 1)).fill(0);
    stepping.forEach((s, b) => mask.fill(1, b * (width + 1), b * (width + 1) + s.length + 1));
    const past = this.slab.map((d) => new ort.Tensor('float32', d.subarray(0, B * H * width * D), [B, H, width, D]));
    const feeds = {
      input_ids: int64(stepping.map((s) => s.pending!.token), [B, 1]),
      attention_mask: int64(mask, [B, width + 1]),
      position_ids: int64(stepping.map((s) => s.length), [B, 1]),
      [LOGITS_FROM]: int64([0], [1]),
      ...namedPast(this.manifest, past),
    };
    const waiting = stepping.map((s) => s.pending!);
    stepping.forEach((s) => (s.pending = null));
    let out: Outputs;
    try {
      out = await this.session.run(feeds, this.fetches);
    } catch (err) {
      for (const w of waiting) w.reject(err as Error);
      return;
    }
    this.stats.steps++;
    this.stats.rowsStepped += B;
    this.append(stepping, out);
    const V = this.manifest.dims.lm_vocab;
    const logits = out.logits.data as Float32Array;
    waiting.forEach((w, b) => w.resolve(logits.subarray(b * V, (b + 1) * V)));
  }

  /**
   * Makes the rows the sequences to step, packed at the front of the slab: a row that left is filled by
   * the last row, a row with no token yet is copied out to wait with the joiners, a joiner is copied into
   * the next free row. Each is one row's copy; only a joiner wider than the slab lays it out anew.
   */
  private arrange(): void {
    const rows = this.rows;
    for (let b = rows.length - 1; b >= 0; b--) {
      const s = rows[b];
      if (!s.left && s.pending) continue;
      if (!s.left) {
        s.cache = this.copyOut(s);
        this.joining.unshift(s); // waits with the joiners, its cache its own
      }
      const last = rows.pop()!;
      if (last !== s) {
        this.copyRow(last, b);
        rows[b] = last;
      }
    }
    const admit: Sequence[] = [];
    while (rows.length + admit.length < this.maxBatch) {
      const i = this.joining.findIndex((s) => s.pending);
      if (i < 0) break;
      admit.push(...this.joining.splice(i, 1));
    }
    if (!admit.length) return;
    const need = Math.max(...[...rows, ...admit].map((s) => s.capacity));
    // a new slab when the rows outgrow it, or when an empty batch restarts with rows much narrower
    if (!this.slab.length || need > this.width || (!rows.length && 2 * need < this.width)) this.relayout([...rows, ...admit], need);
    else for (const s of admit) this.copyRow(s, rows.push(s) - 1);
  }

  /** A row's valid positions copied out of the slab into arrays of its own ([1, H_kv, length, D] each). */
  private copyOut(s: Sequence): CacheRow {
    const { lm_kv_heads: H, lm_head_dim: D } = this.manifest.dims;
    const data = s.cache.data.map(() => new Float32Array(H * s.length * D));
    this.copy(s, data, 0, s.length);
    return { data, row: 0, width: s.length };
  }

  /** Copies sequence `s`'s cache into row `row` of the slab. */
  private copyRow(s: Sequence, row: number): void {
    this.copy(s, this.slab, row, this.width);
    s.cache = { data: this.slab, row, width: this.width };
  }

  private copy(s: Sequence, into: Float32Array[], row: number, width: number): void {
    const { lm_kv_heads: H, lm_head_dim: D } = this.manifest.dims;
    into.forEach((dst, i) => {
      const src = s.cache.data[i];
      for (let h = 0; h < H; h++) {
        const from = ((s.cache.row * H + h) * s.cache.width) * D;
        dst.set(src.subarray(from, from + s.length * D), ((row * H + h) * width) * D);
      }
    });
  }

  /** Writes each row's new key (rotated to its position) and value from the step's projections into the cache. */
  private append(rows: Sequence[], out: Outputs): void {
    const { lm_layers: L, lm_kv_heads: Hkv, lm_head_dim: D } = this.manifest.dims;
    for (let l = 0; l < L; l++) {
      const qkv = out[qkvOutput(l)];
      const stride = qkv.dims[2] as number; // (H + 2 H_kv) D per row
      const keysAt = stride - 2 * Hkv * D;
      const data = qkv.data as Float32Array;
      const [keys, values] = [this.slab[2 * l], this.slab[2 * l + 1]];
      rows.forEach((s, b) => {
        for (let h = 0; h < Hkv; h++) {
          const to = ((b * Hkv + h) * s.cache.width + s.length) * D;
          rotateNewKey(data, b * stride + keysAt + h * D, keys, to, s.length, this.rotary);
          values.set(data.subarray(b * stride + keysAt + (Hkv + h) * D, b * stride + keysAt + (Hkv + h + 1) * D), to);
        }
      });
    }
    for (const s of rows) s.length++;
  }

  /**
   * A new slab for `maxBatch` rows of `need` positions (rounded up to 64), the rows copied in. A step reads
   * the slab and the token it feeds, `width + 1` positions, which the LM's rotary table must hold: so the
   * slab is one position narrower than the LM's window (a sequence fills at most its capacity less one: its
   * last token is never fed). A slab as wide as the window failed in onnxruntime ("cos_cache dimension 0
   * shall not be less than total_sequence_length") for answers within a few dozen tokens of it.
   */
  private relayout(rows: Sequence[], need: number): void {
    this.stats.relayouts++;
    const { lm_layers: L, lm_kv_heads: H, lm_head_dim: D } = this.manifest.dims;
    const width = Math.min(Math.ceil(need / 64) * 64, this.manifest.limits.max_lm_tokens - 1);
    const slab = Array.from({ length: 2 * L }, () => new Float32Array(this.maxBatch * H * width * D));
    rows.forEach((s, b) => {
      this.copy(s, slab, b, width);
    });
    this.slab = slab;
    this.width = width;
    rows.forEach((s, b) => (s.cache = { data: slab, row: b, width }));
    this.rows = rows;
  }
}
