/**
 * The emulator's state and its durable storage: a snapshot (`state.json`) plus an append-only
 * journal (`journal.jsonl`).
 *
 * Why a journal, and not rewriting the state or an embedded database: rewriting and fsyncing the
 * whole state for every change makes a write cost O(state), so an apply of n connections costs
 * O(n²). An embedded database (SQLite, LMDB) would be a native dependency for a test tool, and
 * `node:sqlite` needs Node 22. A journal keeps it to the standard library:
 *
 * - every acknowledged change is one line `{"seq":n,"ops":[…]}\n` appended and fdatasync'd before
 *   the answer leaves: its cost is the size of what changed (the connections touched), never the
 *   size of the state;
 * - a line is all or nothing: on load, a last line that is cut short (no newline, or not JSON) was
 *   never acknowledged and is truncated away; a bad line followed by good ones is corruption and
 *   refuses to load;
 * - compaction writes a snapshot (temporary file, fsync, rename, fsync of the folder) carrying the
 *   `seq` of the last line it holds, then truncates the journal. A crash between the two leaves
 *   lines the snapshot already holds; they are skipped by `seq` (and every op sets a value, so
 *   replaying one twice would not change anything either);
 * - compaction runs when the journal outgrows the last snapshot (and at least `compactAfterBytes`):
 *   a snapshot of S bytes is paid for by at least S bytes of journal, so the amortised cost per
 *   change stays proportional to the change, and the journal never exceeds the state by much.
 *
 * Name-keyed data live in Maps, so a node named `constructor` or `__proto__` is a name like any
 * other and never an inherited property.
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import type { Connection, Rules, Trigger } from '../provider/api/contract';

/** A connection as the emulator stores it: the wire fields plus what only the node knows. */
export interface StoredConnection extends Omit<
  Connection,
  'rules' | 'triggers' | 'description' | 'configurationType' | 'localShortName'
> {
  description: string;
  configurationType: NonNullable<Connection['configurationType']>;
  localShortName: string;
  remoteShortName: string;
  version: number;
  role: 'INITIATOR' | 'ACCEPTOR';
  createdAt: string;
  updatedAt: string;
  incomingScope?: string;
  /** Script mode only. */
  rules?: Rules;
  triggers: Trigger[];
  /** The current invitation code while PENDING (a secret; never logged); never set in Visual mode. */
  invitationCode?: string;
  /**
   * The other side, once accepted on another emulated node (with a code, or for Visual without
   * one): what a replayed acceptance of a Visual connection names.
   */
  peer?: { node: string; id: number };
}

export interface StoredNode {
  platform: string;
  /** Never reused: one more than the highest id ever given. */
  nextId: number;
  /** By id, in creation order (ids only grow, so this is id order). */
  connections: Map<number, StoredConnection>;
}

/** A code that can no longer be accepted, kept by its SHA-256 only. */
export interface RetiredCode {
  reason: 'used' | 'revoked';
  node: string;
  connectionId: number;
  acceptedBy?: { node: string; id: number };
}

export interface EmulatorState {
  nodes: Map<string, StoredNode>;
  /** By SHA-256 (hex) of the code. */
  retiredCodes: Map<string, RetiredCode>;
}

/** One change, as a journal line holds it. Every op sets a value, so replaying it is idempotent. */
type Op =
  | { op: 'node'; name: string; platform: string }
  | { op: 'put'; node: string; connection: StoredConnection }
  | { op: 'del'; node: string; id: number }
  | { op: 'retire'; hash: string; code: RetiredCode };

interface JournalLine {
  seq: number;
  ops: Op[];
}

/** The snapshot file (format 1; files written before the journal have no `seq`). */
interface SnapshotFile {
  format: 1;
  seq?: number;
  nodes: Record<string, { platform: string; nextId: number; connections: StoredConnection[] }>;
  retiredCodes?: Record<string, RetiredCode>;
}

export const STATE_FILE = 'state.json';
export const JOURNAL_FILE = 'journal.jsonl';
const TEMP_FILE = `.${STATE_FILE}.tmp`;

/** Where a compaction is; a test hook may stop the process at each step. */
export type CompactionStep = 'snapshot-written' | 'snapshot-installed' | 'journal-truncated';

export interface StoreOptions {
  /**
   * Smallest journal that is compacted into a snapshot; compaction also waits until the journal is
   * larger than the last snapshot.
   * @default 1048576
   */
  readonly compactAfterBytes?: number;
  /** Test-only: called at each step of a compaction (e.g. to kill the process there). */
  readonly onCompactionStep?: (step: CompactionStep) => void;
  /** Test-only: called before each fdatasync of the journal (e.g. to make the disk slow). */
  readonly onSync?: () => void;
}

export interface StorageStats {
  /** Bytes handed to the file system since the store was opened (journal lines and snapshots). */
  bytesWritten: number;
  /** Current size of the journal. */
  journalBytes: number;
  /** Size of the last snapshot written or read. */
  snapshotBytes: number;
  /** Snapshots written since the store was opened. */
  compactions: number;
  /** Journal lines appended since the store was opened (one per acknowledged change). */
  commits: number;
  /** fdatasyncs of the journal for those lines (fewer when several were written together). */
  syncs: number;
}

function emptyState(): EmulatorState {
  return { nodes: new Map(), retiredCodes: new Map() };
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms cannot fsync a folder; a rename is still atomic there.
  }
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function apply(state: EmulatorState, op: Op): void {
  switch (op.op) {
    case 'node': {
      const node = state.nodes.get(op.name);
      if (node) node.platform = op.platform;
      else state.nodes.set(op.name, { platform: op.platform, nextId: 1, connections: new Map() });
      return;
    }
    case 'put': {
      const node = state.nodes.get(op.node);
      if (!node) throw new Error(`a change to connection ${op.connection.id} of unknown node '${op.node}'`);
      node.connections.set(op.connection.id, op.connection);
      node.nextId = Math.max(node.nextId, op.connection.id + 1);
      return;
    }
    case 'del':
      state.nodes.get(op.node)?.connections.delete(op.id);
      return;
    case 'retire':
      state.retiredCodes.set(op.hash, op.code);
      return;
  }
}

interface Loaded {
  state: EmulatorState;
  seq: number;
  snapshotBytes: number;
  /** Bytes of the journal that hold whole lines; anything after them is a torn write. */
  journalGood: number;
  journalSize: number;
}

function load(dir: string): Loaded {
  const snapshotFile = path.join(dir, STATE_FILE);
  const state = emptyState();
  let seq = 0;
  const raw = readIfThere(snapshotFile);
  if (raw) {
    let parsed: Partial<SnapshotFile>;
    try {
      parsed = JSON.parse(raw.toString('utf8')) as Partial<SnapshotFile>;
    } catch {
      throw new Error(`${snapshotFile} is not valid JSON`);
    }
    if (parsed.format !== 1 || typeof parsed.nodes !== 'object' || parsed.nodes === null) {
      throw new Error(`${snapshotFile} is not an emulator state file (format 1)`);
    }
    seq = typeof parsed.seq === 'number' ? parsed.seq : 0;
    for (const [name, node] of Object.entries(parsed.nodes)) {
      const connections = [...node.connections].sort((a, b) => a.id - b.id);
      state.nodes.set(name, {
        platform: node.platform,
        nextId: node.nextId,
        connections: new Map(connections.map((c) => [c.id, c])),
      });
    }
    for (const [hash, code] of Object.entries(parsed.retiredCodes ?? {})) state.retiredCodes.set(hash, code);
  }

  const journalFile = path.join(dir, JOURNAL_FILE);
  const journal = readIfThere(journalFile) ?? Buffer.alloc(0);
  let good = 0;
  let line = 0;
  while (good < journal.length) {
    const end = journal.indexOf(0x0a, good);
    if (end < 0) break; // cut short: never acknowledged
    line += 1;
    let entry: JournalLine | undefined;
    try {
      entry = JSON.parse(journal.subarray(good, end).toString('utf8')) as JournalLine;
    } catch {
      entry = undefined;
    }
    if (!entry || typeof entry.seq !== 'number' || !Array.isArray(entry.ops)) {
      if (end + 1 < journal.length) {
        throw new Error(`${journalFile}: line ${line} is damaged and more lines follow it`);
      }
      break; // the last line was torn
    }
    if (entry.seq > seq) {
      for (const op of entry.ops) apply(state, op);
      seq = entry.seq;
    }
    good = end + 1;
  }
  return { state, seq, snapshotBytes: raw?.length ?? 0, journalGood: good, journalSize: journal.length };
}

/**
 * The state of every emulated node and its storage. Handlers change the objects of `state` and
 * tell the store what they changed (`put`, `remove`, `retire`, `setNode`); `commit()` makes those
 * changes durable as one journal line before the answer is sent.
 */
export class Store {
  private current: EmulatorState;
  private seq: number;
  private pending: Array<() => Op> = [];
  /** Lines made by `stage()` and not written yet: their changes are in `current`. */
  private staged: { line: JournalLine; bytes: Buffer }[] = [];
  private failures = 0;
  private broken = false;
  private readonly fd: number;
  private readonly compactAfterBytes: number;
  private closed = false;
  readonly stats: StorageStats;

  private constructor(
    private readonly dir: string,
    private readonly options: StoreOptions,
  ) {
    mkdirSync(dir, { recursive: true });
    rmSync(path.join(dir, TEMP_FILE), { force: true }); // a compaction cut short
    const loaded = load(dir);
    this.current = loaded.state;
    this.seq = loaded.seq;
    this.compactAfterBytes = options.compactAfterBytes ?? 1024 * 1024;
    const journalFile = path.join(dir, JOURNAL_FILE);
    this.fd = openSync(journalFile, 'a', 0o600);
    if (loaded.journalGood < loaded.journalSize) {
      ftruncateSync(this.fd, loaded.journalGood);
      fdatasyncSync(this.fd);
    }
    if (loaded.journalSize === 0) fsyncDir(dir); // the journal may have just been created
    this.stats = {
      bytesWritten: 0,
      journalBytes: loaded.journalGood,
      snapshotBytes: loaded.snapshotBytes,
      compactions: 0,
      commits: 0,
      syncs: 0,
    };
  }

  /** The state in `dir` (snapshot plus journal), or an empty one; the folder is created when missing. */
  static open(dir: string, options: StoreOptions = {}): Store {
    return new Store(dir, options);
  }

  get state(): EmulatorState {
    return this.current;
  }

  /** Changes recorded and not committed yet. */
  get dirty(): boolean {
    return this.pending.length > 0;
  }

  /** Create a node, or change its platform. */
  setNode(name: string, platform: string): void {
    apply(this.current, { op: 'node', name, platform });
    this.pending.push(() => ({ op: 'node', name, platform }));
  }

  /** A connection was created or changed (it is written as it is at commit time). */
  put(node: string, connection: StoredConnection): void {
    const stored = this.current.nodes.get(node);
    if (!stored) throw new Error(`node '${node}' is not emulated`);
    if (stored.connections.get(connection.id) !== connection) {
      stored.connections.set(connection.id, connection);
    }
    stored.nextId = Math.max(stored.nextId, connection.id + 1);
    this.pending.push(() => ({ op: 'put', node, connection }));
  }

  remove(node: string, id: number): void {
    this.current.nodes.get(node)?.connections.delete(id);
    this.pending.push(() => ({ op: 'del', node, id }));
  }

  retire(hash: string, code: RetiredCode): void {
    this.current.retiredCodes.set(hash, code);
    this.pending.push(() => ({ op: 'retire', hash, code }));
  }

  /**
   * Make the recorded changes durable: one journal line, fdatasync'd (with any staged before it).
   * On failure the state goes back to what is on disk and the error is thrown (the caller answers
   * 500, nothing acknowledged).
   */
  commit(): void {
    this.stage();
    this.flush();
  }

  /**
   * Turn the recorded changes into a journal line, written by the next `flush()`: the changes of
   * one request become one line as they are now, whatever later requests change. Group commit:
   * the answers of several requests wait for one write and one fdatasync.
   */
  stage(): void {
    if (this.pending.length === 0) return;
    if (this.closed) throw new Error('the emulator store is closed');
    const line: JournalLine = {
      seq: this.seq + this.staged.length + 1,
      ops: this.pending.map((op) => op()),
    };
    this.pending = [];
    this.staged.push({ line, bytes: Buffer.from(`${JSON.stringify(line)}\n`, 'utf8') });
  }

  /** Flushes that failed since the store was opened (their staged changes were dropped). */
  get failedFlushes(): number {
    return this.failures;
  }

  /** Whether staged lines wait for `flush()`. */
  get unflushed(): boolean {
    return this.staged.length > 0;
  }

  /**
   * Write every staged line, then one fdatasync. On failure every staged change is dropped, the
   * state goes back to what is on disk and the error is thrown.
   */
  flush(): void {
    if (this.staged.length === 0) return;
    const staged = this.staged;
    this.staged = [];
    const bytes = staged.length === 1 ? staged[0]!.bytes : Buffer.concat(staged.map((s) => s.bytes));
    let before: number | undefined;
    try {
      if (this.closed) throw new Error('the emulator store is closed');
      if (this.broken) throw new Error('the journal could not be restored after a failed write');
      before = fstatSync(this.fd).size;
      writeAll(this.fd, bytes);
      this.options.onSync?.();
      fdatasyncSync(this.fd);
    } catch (error) {
      this.failures += 1;
      // The lines may be in the file (or the page cache) although they are not durable: cut them
      // off, so that what the answers called a failure is not there after a reload or a restart.
      if (before !== undefined) {
        try {
          ftruncateSync(this.fd, before);
          fdatasyncSync(this.fd);
        } catch {
          this.broken = true; // every later write fails until the emulator restarts
        }
      }
      this.reload();
      throw error;
    }
    this.seq = staged[staged.length - 1]!.line.seq;
    this.stats.bytesWritten += bytes.length;
    this.stats.journalBytes += bytes.length;
    this.stats.commits += staged.length;
    this.stats.syncs += 1;
    if (this.stats.journalBytes >= Math.max(this.compactAfterBytes, this.stats.snapshotBytes)) {
      this.compact();
    }
  }

  /**
   * Forget the changes recorded since the last `stage()`: the state goes back to what is on
   * disk, plus the staged lines of other requests.
   */
  discard(): void {
    this.pending = [];
    this.reload();
    for (const { bytes } of this.staged) {
      const line = JSON.parse(bytes.toString('utf8')) as JournalLine;
      for (const op of line.ops) apply(this.current, op);
    }
  }

  /** Write a snapshot of everything and empty the journal. */
  compact(): void {
    const snapshot: SnapshotFile = {
      format: 1,
      seq: this.seq,
      nodes: Object.fromEntries(
        [...this.current.nodes].map(([name, node]) => [
          name,
          { platform: node.platform, nextId: node.nextId, connections: [...node.connections.values()] },
        ]),
      ),
      retiredCodes: Object.fromEntries(this.current.retiredCodes),
    };
    const bytes = Buffer.from(JSON.stringify(snapshot), 'utf8');
    const temp = path.join(this.dir, TEMP_FILE);
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeAll(fd, bytes);
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      // The journal still holds every change: try again after the next one.
      rmSync(temp, { force: true });
      return;
    }
    this.options.onCompactionStep?.('snapshot-written');
    try {
      renameSync(temp, path.join(this.dir, STATE_FILE));
    } catch {
      rmSync(temp, { force: true });
      return;
    }
    fsyncDir(this.dir);
    this.options.onCompactionStep?.('snapshot-installed');
    this.stats.bytesWritten += bytes.length;
    this.stats.snapshotBytes = bytes.length;
    this.stats.compactions += 1;
    try {
      ftruncateSync(this.fd, 0);
      fdatasyncSync(this.fd);
      this.stats.journalBytes = 0;
    } catch {
      // Lines the snapshot holds are skipped by seq on load; the next compaction truncates.
    }
    this.options.onCompactionStep?.('journal-truncated');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private reload(): void {
    const loaded = load(this.dir);
    if (loaded.journalGood < loaded.journalSize) {
      try {
        ftruncateSync(this.fd, loaded.journalGood);
      } catch {
        // Truncated on the next open.
      }
    }
    this.current = loaded.state;
    this.seq = loaded.seq;
    this.stats.journalBytes = loaded.journalGood;
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
