import * as ort from 'onnxruntime-node';
import { int64, release, type Manifest } from '../bundle/index.ts';
import { lmFeeds } from './past.ts';

type Outputs = ort.InferenceSession.OnnxValueMapType;

/** Where a sequence's cache lives: row `row` of a [rows, H_kv, width, D] tensor per layer key/value, its first `length` positions valid. */
interface CacheRow {
  tensors: ort.Tensor[];
  rows: number;
  row: number;
  width: number;
}

/** A generation's place in the decode batch, from its prefill until it leaves. */
export class Sequence {
  /** Valid positions in its cache (prefix + prompt + tokens fed so far). */
  length: number;
  cache: CacheRow;
  /** The token waiting for the next step, and who gets its logits row. */
  pending: { token: number; resolve: (logits: Float32Array) => void; reject: (err: Error) => void } | null = null;
  left = false;

  constructor(private readonly batcher: DecodeBatcher, present: ort.Tensor[], length: number) {
    this.length = length;
    this.cache = { tensors: present, rows: 1, row: 0, width: length };
  }

  /** Feeds `token` at the next position; resolves with the logits [V] of the position after it (valid until the next step). */
  step(token: number): Promise<Float32Array> {
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
 * leaves when it stops, between steps). Exclusive passes (prefills, span reading) and batched steps take
 * turns, so a long prefill delays the batch by one pass, not by the whole answer.
 *
 * The batch's cache is one [B, H_kv, W, D] tensor per layer key/value, each row right-padded: row b holds
 * its sequence's positions 0..length-1 and the attention mask marks them, which is how GroupQueryAttention
 * reads each row's own length (and places its next token at that position). Each step's present becomes
 * the next step's past as it is; only when the rows change is the cache copied into a new layout.
 * `maxBatch` 1 turns batching off: sequences then decode one at a time, the next joining when one leaves.
 */
export class DecodeBatcher {
  private readonly exclusive: { run: () => Promise<Outputs>; resolve: (o: Outputs) => void; reject: (e: Error) => void }[] = [];
  /** Sequences in the batch, in row order, and those waiting for a row. */
  private rows: Sequence[] = [];
  private readonly joining: Sequence[] = [];
  private busy = false;
  private woken = false;
  private lastWasStep = false;
  /** Steps run and rows stepped: the mean batch size is their ratio. */
  readonly stats = { steps: 0, rowsStepped: 0, relayouts: 0 };

  constructor(private readonly session: ort.InferenceSession, private readonly manifest: Manifest, private readonly maxBatch: number) {
    if (!(maxBatch >= 1)) throw new RangeError(`maxBatch must be at least 1, got ${maxBatch}`);
  }

  /** One pass over `ids` after `past`, the first at `position`, queued behind the pass in flight. */
  forward(ids: number[], past: ort.Tensor[], position: number): Promise<Outputs> {
    return new Promise((resolve, reject) => {
      this.exclusive.push({ run: () => this.session.run(lmFeeds(this.manifest, ids, past, position)), resolve, reject });
      this.wake();
    });
  }

  /** Adds a prefilled sequence; its `present` (one [1, H_kv, length, D] tensor per layer key/value) now belongs to the batcher. */
  join(present: ort.Tensor[], length: number): Sequence {
    const seq = new Sequence(this, present, length);
    this.joining.push(seq);
    return seq;
  }

  /** @internal a sequence left: fail its pending step, free what only it held. */
  dropped(seq: Sequence): void {
    seq.pending?.reject(new Error('the sequence left the batch'));
    seq.pending = null;
    const waiting = this.joining.indexOf(seq);
    if (waiting >= 0) {
      this.joining.splice(waiting, 1);
      this.releaseUnused(seq.cache.tensors);
    }
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
    const takeExclusive = this.exclusive.length > 0 && (!stepReady || this.lastWasStep);
    if (!takeExclusive && !stepReady) return;
    this.busy = true;
    try {
      if (takeExclusive) {
        const job = this.exclusive.shift()!;
        this.lastWasStep = false;
        await job.run().then(job.resolve, job.reject);
      } else {
        this.lastWasStep = true;
        await this.step();
      }
    } finally {
      this.busy = false;
      this.wake();
    }
  }

  /** One decode pass over every row with a token waiting (admitting waiting sequences while there is room). */
  private async step(): Promise<void> {
    const kept = this.rows.filter((s) => !s.left);
    // a row with no token yet (its caller is still busy) steps out and waits with the joiners, cache kept
    const parked = kept.filter((s) => !s.pending);
    const stepping = kept.filter((s) => s.pending);
    while (stepping.length < this.maxBatch) {
      const i = this.joining.findIndex((s) => s.pending);
      if (i < 0) break;
      stepping.push(...this.joining.splice(i, 1));
    }
    this.joining.unshift(...parked);
    if (!stepping.length) return;
    if (stepping.length !== this.rows.length || stepping.some((s, i) => s !== this.rows[i])) this.relayout(stepping);
    this.rows = stepping;
    const B = stepping.length;
    const width = stepping[0].cache.width;
    const { lm_vocab: V, lm_layers: L } = this.manifest.dims;
    const mask = new Array<number>(B * (width + 1)).fill(0);
    stepping.forEach((s, b) => mask.fill(1, b * (width + 1), b * (width + 1) + s.length + 1));
    const feeds = lmFeeds(this.manifest, [], stepping[0].cache.tensors, 0);
    feeds.input_ids = int64(stepping.map((s) => s.pending!.token), [B, 1]);
    feeds.attention_mask = int64(mask, [B, width + 1]);
    feeds.position_ids = int64(stepping.map((s) => s.length), [B, 1]);
    const waiting = stepping.map((s) => s.pending!);
    stepping.forEach((s) => (s.pending = null));
    let out: Outputs;
    try {
      out = await this.session.run(feeds);
    } catch (err) {
      for (const w of waiting) w.reject(err as Error);
      return;
    }
    this.stats.steps++;
    this.stats.rowsStepped += B;
    const present = Array.from({ length: L }, (_, l) => [out[`present.${l}.key`], out[`present.${l}.value`]]).flat();
    const old = stepping[0].cache.tensors;
    for (const [b, s] of stepping.entries()) {
      s.length++;
      s.cache = { tensors: present, rows: B, row: b, width: width + 1 };
    }
    this.releaseUnused(old);
    const logits = out.logits.data as Float32Array;
    waiting.forEach((w, b) => w.resolve(logits.subarray(b * V, (b + 1) * V)));
  }

  /** Releases a cache's tensors unless a sequence still reads its row from them. */
  private releaseUnused(tensors: ort.Tensor[]): void {
    if (![...this.rows, ...this.joining].some((s) => !s.left && s.cache.tensors === tensors)) release(...tensors);
  }

  /** Copies the rows' caches into one right-padded [B, H_kv, W, D] tensor per layer key/value, W the longest row. */
  private relayout(rows: Sequence[]): void {
    this.stats.relayouts++;
    const { lm_layers: L, lm_kv_heads: H, lm_head_dim: D } = this.manifest.dims;
    const width = Math.max(...rows.map((s) => s.length));
    const tensors = Array.from({ length: 2 * L }, (_, i) => {
      const data = new Float32Array(rows.length * H * width * D);
      rows.forEach((s, b) => {
        const src = s.cache.tensors[i].data as Float32Array;
        for (let h = 0; h < H; h++) {
          const from = ((s.cache.row * H + h) * s.cache.width) * D;
          data.set(src.subarray(from, from + s.length * D), ((b * H + h) * width) * D);
        }
      });
      return new ort.Tensor('float32', data, [rows.length, H, width, D]);
    });
    const old = new Set([...this.rows, ...rows].map((s) => s.cache.tensors));
    rows.forEach((s, b) => (s.cache = { tensors, rows: rows.length, row: b, width }));
    for (const t of old) this.releaseUnused(t);
  }
}
