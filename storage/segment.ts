/**
 * Segment: one `<base offset>.log` file with its sparse `.index` and `.timeindex`. Batches sit
 * back to back from position 0; `size` is the number of bytes completely written, and readers
 * never look past it, so reads run safely beside the one appender (the log's append lock).
 * `append` resolves once the bytes are written (not synced); `sync` makes them durable.
 * Deletion waits for in-flight readers (acquire/release) before closing the file.
 */
import { join } from 'node:path';
import { BATCH_FIELD, BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, forEachBatch } from './batch-format.js';
import { scanBatches, type ScanStop } from './batch-scanner.js';
import type { FilePool, PooledFile } from './file-pool.js';
import { writeGathered, type StorageIo } from './io/storage-io.js';
import { OffsetIndex } from './offset-index.js';
import { readBatchHeader, type BatchSpan } from './record-batch.js';
import { StorageError } from './storage-error.js';
import { TimeIndex } from './time-index.js';

export function segmentFileName(baseOffset: bigint, suffix: '.log' | '.index' | '.timeindex'): string {
  return `${baseOffset.toString().padStart(20, '0')}${suffix}`;
}

/**
 * The end of the whole batches of `buf` from `first`: the first batch always, then more while
 * they fit in `buf` and `maxBytes` and start below `bound`.
 */
function wholeBatchesEnd(buf: Buffer, first: number, maxBytes: number, bound: bigint): number {
  const second = first + buf.readInt32BE(first + BATCH_FIELD.batchLength) + BATCH_LOG_OVERHEAD;
  return forEachBatch(buf, (frame) => frame.position + frame.size - first <= maxBytes && frame.baseOffset < bound, second);
}

/** A leader epoch's first batch among the batches a scan read (recovery re-assigns them). */
export interface EpochStart {
  epoch: number;
  offset: bigint;
}

export interface SegmentSettings {
  io: StorageIo;
  /** The data dir's handle pool: a segment's `.log` holds a descriptor only while it is in use. */
  files: FilePool;
  dir: string;
  indexIntervalBytes: number;
  maxBatchBytes: number;
}

/** How far behind a segment's end a read may be and still be served synchronously from the page cache. */
const HOT_TAIL_BYTES = 8 * 1024 * 1024;

/** The entry counts of a segment's two indexes. */
export interface IndexCounts {
  offsets: number;
  times: number;
}

export class Segment {
  size = 0;
  /** One past the last offset in this segment (= baseOffset when empty). */
  nextOffset: bigint;
  maxTimestamp = -1n;
  /** The first batch's max timestamp (Kafka's rollingBasedTimestamp), -1 until there is one. */
  firstBatchTimestamp = -1n;
  /** Broker time the segment was created or opened (the roll clock when batches carry no timestamp). */
  private readonly createdMs: number;
  private bytesSinceIndexEntry = 0;
  /** The lowest file position this process appended at (Infinity: none): bytes from there on are in the page cache. */
  private writtenFrom = Number.POSITIVE_INFINITY;
  /** Bumped by every truncation, so a read that raced one can tell (see `read`). */
  private truncations = 0;
  private readers = 0;
  private deleted = false;
  private drained: (() => void) | undefined;

  private constructor(
    readonly baseOffset: bigint,
    readonly file: PooledFile,
    private readonly settings: SegmentSettings,
    private offsetIndex: OffsetIndex,
    private timeIndex: TimeIndex,
    nowMs: number,
  ) {
    this.nextOffset = baseOffset;
    this.createdMs = nowMs;
  }

  get logPath(): string {
    return this.file.path;
  }

  /**
   * Creates an empty segment and makes its directory entry durable (syncDir) before anything is
   * appended to it, so an acknowledged append never sits in a file a power cut can unlink.
   */
  static async create(settings: SegmentSettings, baseOffset: bigint, nowMs: number): Promise<Segment> {
    const file = await settings.files.create(join(settings.dir, segmentFileName(baseOffset, '.log')));
    try {
      if ((await file.size()) > 0) {
        await file.truncate(0);
        await file.datasync();
      }
      const [offsetPath, timePath] = Segment.indexPaths(settings, baseOffset);
      await settings.io.unlink(offsetPath);
      await settings.io.unlink(timePath);
      await settings.io.syncDir(settings.dir);
    } catch (err) {
      await file.close();
      throw err;
    }
    const [offsetIndex, timeIndex] = Segment.freshIndexes(settings, baseOffset);
    offsetIndex.fileRemoved();
    timeIndex.fileRemoved();
    return new Segment(baseOffset, file, settings, offsetIndex, timeIndex, nowMs);
  }

  /** Opens a segment that must be whole (a freshly written one): CORRUPT_LOG, closed again, when its own scan stops early. */
  static async openWhole(settings: SegmentSettings, baseOffset: bigint, nowMs: number): Promise<Segment> {
    const { segment, stop } = await Segment.open(settings, baseOffset, false, nowMs);
    if (stop.problem === undefined) return segment;
    await segment.close();
    throw new StorageError('CORRUPT_LOG', `segment ${segment.logPath} fails its own check at byte ${stop.position}: ${stop.problem}`);
  }

  /**
   * Opens an existing segment. With `trustIndexes`, saved indexes are used when they look sane
   * and only the bytes after the last index entry are scanned; otherwise the whole file is. The
   * scan stops at the first bad batch and reports it; the caller decides whether that is a torn
   * tail to cut or corruption.
   */
  static async open(
    settings: SegmentSettings,
    baseOffset: bigint,
    trustIndexes: boolean,
    nowMs: number,
    /** The names in the directory (from the caller's readdir), so missing index files cost no lookup. */
    present?: ReadonlySet<string>,
    /** After a clean shutdown, where the closing log said this (active) segment ends: no scan when the file agrees. */
    trustedEnd?: { activeBytes: number; logEnd: bigint; maxTimestamp: bigint; firstTimestamp: bigint },
  ): Promise<{ segment: Segment; stop: ScanStop; stopOffset: bigint; epochStarts: EpochStart[] }> {
    const file = settings.files.file(join(settings.dir, segmentFileName(baseOffset, '.log')), { create: true });
    const fileBytes = await file.size();
    const [offsetPath, timePath] = Segment.indexPaths(settings, baseOffset);
    let offsetIndex: OffsetIndex | undefined;
    let timeIndex: TimeIndex | undefined;
    const missing = (suffix: '.index' | '.timeindex') => present !== undefined && !present.has(segmentFileName(baseOffset, suffix));
    if (trustIndexes && !missing('.index') && !missing('.timeindex')) {
      offsetIndex = await OffsetIndex.load(settings.io, offsetPath, fileBytes);
      const maxRel = offsetIndex?.last()?.relOffset ?? 0;
      timeIndex = offsetIndex && (await TimeIndex.load(settings.io, timePath, maxRel));
    }
    const usable = offsetIndex !== undefined && timeIndex !== undefined;
    const segment = new Segment(
      baseOffset,
      file,
      settings,
      usable ? offsetIndex! : new OffsetIndex(offsetPath),
      usable ? timeIndex! : new TimeIndex(timePath),
      nowMs,
    );
    if (!usable && missing('.index')) segment.offsetIndex.fileRemoved();
    if (!usable && missing('.timeindex')) segment.timeIndex.fileRemoved();
    segment.maxTimestamp = segment.timeIndex.maxTimestamp;
    const start = usable ? (segment.offsetIndex.last()?.position ?? 0) : 0;
    // Without its index files the segment is trusted only while it is too small to have needed an entry.
    if (trustedEnd !== undefined && fileBytes === trustedEnd.activeBytes && fileBytes > 0 && (usable || fileBytes <= settings.indexIntervalBytes)) {
      segment.noteFirstBatch(trustedEnd.firstTimestamp, nowMs);
      segment.size = fileBytes;
      segment.nextOffset = trustedEnd.logEnd;
      if (trustedEnd.maxTimestamp > segment.maxTimestamp) segment.maxTimestamp = trustedEnd.maxTimestamp;
      segment.bytesSinceIndexEntry = fileBytes - start;
      return { segment, stop: { position: fileBytes }, stopOffset: segment.nextOffset, epochStarts: [] };
    }
    // The first batch's timestamp: read here unless the scan below starts with that batch.
    if (start > 0 && fileBytes >= BATCH_HEADER_BYTES) {
      const first = await segment.readAt(0, BATCH_HEADER_BYTES).catch(() => undefined);
      if (first?.readInt8(BATCH_FIELD.magic) === 2) segment.noteFirstBatch(first.readBigInt64BE(BATCH_FIELD.maxTimestamp), nowMs);
    }
    segment.size = start;
    const epochStarts: EpochStart[] = [];
    const stop = await scanBatches(file, start, fileBytes, { verify: true, maxBatchBytes: settings.maxBatchBytes }, (b) => {
      if (b.header.baseOffset < segment.nextOffset) {
        return `batch offset ${b.header.baseOffset} goes backwards (expected ≥ ${segment.nextOffset})`;
      }
      if (b.position === 0) segment.noteFirstBatch(b.header.maxTimestamp, nowMs);
      const epoch = b.header.partitionLeaderEpoch;
      if (epoch >= 0 && epoch > (epochStarts.at(-1)?.epoch ?? -1)) epochStarts.push({ epoch, offset: b.header.baseOffset });
      segment.track(b, b.position);
      return undefined;
    });
    return { segment, stop, stopOffset: segment.nextOffset, epochStarts };
  }

  /**
   * Writes `bufs` (`bytes` in all; validated, offsets assigned) at the end in one gather write,
   * no concatenation, and indexes their batches: `spans` are positioned in the bytes as written
   * and carry each batch's header as written.
   */
  async append(bufs: readonly Buffer[], bytes: number, spans: readonly BatchSpan[], nowMs: number): Promise<void> {
    const base = this.size;
    await writeGathered(this.file, bufs, bytes, base);
    if (base < this.writtenFrom) this.writtenFrom = base;
    if (base === 0 && spans.length > 0) this.noteFirstBatch(spans[0]!.header.maxTimestamp, nowMs);
    for (const span of spans) this.track(span, base + span.position);
  }

  /** Drops every batch at or after file position `position`. */
  async truncateTo(position: number, nextOffset: bigint): Promise<void> {
    this.truncations += 1;
    await this.file.truncate(position);
    this.size = position;
    this.nextOffset = nextOffset;
    this.offsetIndex.truncateToPosition(position);
    this.timeIndex.truncateToRelOffset(this.relative(nextOffset));
    this.maxTimestamp = this.timeIndex.maxTimestamp;
    this.bytesSinceIndexEntry = 0;
  }

  /** The position of the first batch whose last offset ≥ `offset`, with its base offset. */
  async positionOf(offset: bigint): Promise<{ position: number; baseOffset: bigint } | undefined> {
    let position = this.offsetIndex.lookup(this.relative(offset));
    const end = this.size;
    const header = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    while (position < end) {
      await this.file.read(header, position);
      const base = header.readBigInt64BE(BATCH_FIELD.baseOffset);
      const last = base + BigInt(header.readInt32BE(BATCH_FIELD.lastOffsetDelta));
      if (last >= offset) return { position, baseOffset: base };
      position += header.readInt32BE(BATCH_FIELD.batchLength) + 12;
    }
    return undefined;
  }

  /**
   * Whole batches from the one holding `offset`: at most `maxBytes` (but always the first batch
   * whole), none whose base offset is ≥ `bound`. One read from the nearest index entry covers
   * the walk to the wanted batch and the data after it; only a first batch larger than that read
   * costs a second one.
   */
  async read(offset: bigint, maxBytes: number, bound: bigint): Promise<Buffer> {
    const truncations = this.truncations;
    const records = await this.readUnchecked(offset, maxBytes, bound);
    if (truncations !== this.truncations) {
      throw new StorageError('READ_RACED', `a truncation of ${this.file.path} raced this read; read again`);
    }
    return records;
  }

  private async readUnchecked(offset: bigint, maxBytes: number, bound: bigint): Promise<Buffer> {
    const from = this.offsetIndex.lookup(this.relative(offset));
    const end = this.size;
    const want = Math.min(end - from, Math.max(maxBytes, BATCH_HEADER_BYTES) + this.settings.indexIntervalBytes + BATCH_HEADER_BYTES);
    if (want <= 0) return Buffer.alloc(0);
    let buf = Buffer.allocUnsafe(want);
    // The hot tail (appended by this process, within the last HOT_TAIL_BYTES): read at once.
    const now = from >= this.writtenFrom && end - from <= HOT_TAIL_BYTES ? this.file.readIfOpen(buf, from) : undefined;
    buf = buf.subarray(0, now ?? (await this.file.read(buf, from)));
    let first = 0;
    for (;;) {
      if (first + BATCH_HEADER_BYTES > buf.length) return this.readFrom(offset, maxBytes, bound);
      const last = buf.readBigInt64BE(first + BATCH_FIELD.baseOffset) + BigInt(buf.readInt32BE(first + BATCH_FIELD.lastOffsetDelta));
      if (last >= offset) break;
      first += buf.readInt32BE(first + BATCH_FIELD.batchLength) + 12;
    }
    if (buf.readBigInt64BE(first + BATCH_FIELD.baseOffset) >= bound) return Buffer.alloc(0);
    const firstSize = buf.readInt32BE(first + BATCH_FIELD.batchLength) + 12;
    if (first + firstSize > buf.length) return this.readAt(from + first, firstSize);
    return buf.subarray(first, wholeBatchesEnd(buf, first, maxBytes, bound));
  }

  /** The slow path of `read`: find the batch by header reads, then read from it. */
  private async readFrom(offset: bigint, maxBytes: number, bound: bigint): Promise<Buffer> {
    const found = await this.positionOf(offset);
    if (found === undefined || found.baseOffset >= bound) return Buffer.alloc(0);
    const size = (await this.readAt(found.position + BATCH_FIELD.batchLength, 4)).readInt32BE(0) + 12;
    const whole = await this.readAt(found.position, Math.min(this.size - found.position, Math.max(size, maxBytes)));
    return whole.subarray(0, wholeBatchesEnd(whole, 0, maxBytes, bound));
  }

  /** Where to start scanning for the first record with timestamp ≥ `timestamp`. */
  timestampScanStart(timestamp: bigint): bigint {
    return this.baseOffset + BigInt(this.timeIndex.lookup(timestamp));
  }

  /** Walks batch headers from `offset` (no verification) until `visit` returns true. */
  async findBatch(offset: bigint, visit: (header: ReturnType<typeof readBatchHeader>, position: number) => boolean): Promise<void> {
    const start = await this.positionOf(offset);
    if (start === undefined) return;
    await scanBatches(this.file, start.position, this.size, { verify: false, maxBatchBytes: Number.MAX_SAFE_INTEGER }, (b) =>
      visit(b.header, b.position) ? 'found' : undefined,
    );
  }

  /** Exactly `length` bytes at `position`, or READ_RACED when the file is shorter (truncated). */
  async readAt(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    const got = await this.file.read(buf, position);
    if (got !== length) throw new StorageError('READ_RACED', `${this.file.path} has ${got} of ${length} bytes at ${position}: truncated under the read`);
    return buf;
  }

  /** Removes the saved index files (they no longer match the log after a truncation). */
  async removeIndexFiles(): Promise<void> {
    await this.offsetIndex.forgetFile();
    await this.timeIndex.forgetFile();
    const [offsetPath, timePath] = Segment.indexPaths(this.settings, this.baseOffset);
    await this.settings.io.unlink(offsetPath);
    await this.settings.io.unlink(timePath);
    this.offsetIndex.fileRemoved();
    this.timeIndex.fileRemoved();
  }

  /**
   * Where segment.ms counts from for an idle segment: its first batch's timestamp (so a restart
   * does not reset it), or its creation when batches carry none.
   */
  get rollReferenceMs(): number {
    return this.firstBatchTimestamp >= 0n ? Number(this.firstBatchTimestamp) : this.createdMs;
  }

  /**
   * How long this segment has been filling, as Kafka's LogSegment.timeWaitedForRoll measures it
   * on append: the incoming batch's timestamp minus the first batch's (so records with old or
   * odd timestamps do not roll a segment per append), else broker time since creation.
   */
  timeWaitedForRoll(nowMs: number, incomingMaxTimestamp: bigint): number {
    if (this.firstBatchTimestamp >= 0n && incomingMaxTimestamp >= 0n) return Number(incomingMaxTimestamp - this.firstBatchTimestamp);
    return nowMs - this.createdMs;
  }

  private noteFirstBatch(maxTimestamp: bigint, _nowMs: number): void {
    if (maxTimestamp >= 0n) this.firstBatchTimestamp = maxTimestamp;
  }

  sync(): Promise<void> {
    return this.file.datasync();
  }

  async saveIndexes(): Promise<void> {
    await this.offsetIndex.save(this.settings.io);
    await this.timeIndex.save(this.settings.io);
  }

  /** How many entries each index holds now (a recovery checkpoint's snapshot). */
  indexCounts(): IndexCounts {
    return { offsets: this.offsetIndex.entries, times: this.timeIndex.entries };
  }

  /**
   * Appends the index entries not yet on disk — those of `upTo` when given, which appends may
   * have passed since — and syncs them (the recovery checkpoint).
   */
  async persistIndexes(upTo?: IndexCounts): Promise<void> {
    await this.offsetIndex.persist(this.settings.io, upTo?.offsets);
    await this.timeIndex.persist(this.settings.io, upTo?.times);
  }

  acquire(): boolean {
    if (this.deleted) return false;
    this.readers += 1;
    return true;
  }

  release(): void {
    this.readers -= 1;
    if (this.readers === 0) this.drained?.();
  }

  async close(): Promise<void> {
    await this.offsetIndex.forgetFile();
    await this.timeIndex.forgetFile();
    await this.file.close();
  }

  /** Keeps the `.log` handle open until close: readers must go on seeing this file after the cleaner renames another over its path. */
  holdFile(): Promise<void> {
    return this.file.pin();
  }

  /**
   * Closes a segment whose file was replaced (the cleaner's swap) once no reader holds it; the
   * path now names the new file, so nothing is unlinked.
   */
  async retire(): Promise<void> {
    this.deleted = true;
    if (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.close();
  }

  /**
   * Removes the files once no reader holds the segment. The unlinks are durable only after the
   * caller's syncDir of the partition directory.
   */
  async delete(): Promise<void> {
    this.deleted = true;
    if (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.file.close();
    await this.settings.io.unlink(this.file.path);
    await this.removeIndexFiles();
  }

  private relative(offset: bigint): number {
    const rel = offset - this.baseOffset;
    return rel < 0n ? 0 : Number(rel);
  }

  private track(batch: { header: ReturnType<typeof readBatchHeader>; size: number }, position: number): void {
    const { header } = batch;
    if (header.maxTimestamp > this.maxTimestamp) this.maxTimestamp = header.maxTimestamp;
    if (this.bytesSinceIndexEntry >= this.settings.indexIntervalBytes) {
      const rel = this.relative(header.baseOffset);
      this.offsetIndex.append(rel, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, rel);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += batch.size;
    this.size = position + batch.size;
    this.nextOffset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
  }

  private static indexPaths(settings: SegmentSettings, baseOffset: bigint): [string, string] {
    return [join(settings.dir, segmentFileName(baseOffset, '.index')), join(settings.dir, segmentFileName(baseOffset, '.timeindex'))];
  }

  private static freshIndexes(settings: SegmentSettings, baseOffset: bigint): [OffsetIndex, TimeIndex] {
    const [offsetPath, timePath] = Segment.indexPaths(settings, baseOffset);
    return [new OffsetIndex(offsetPath), new TimeIndex(timePath)];
  }
}
