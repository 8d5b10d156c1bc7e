/**
 * The emulator's storage: a journal line per acknowledged change, snapshots by compaction, torn
 * writes dropped, and a write cost that does not grow with the state. Real files in temp folders.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { API_BASE, startEmulator } from './server';
import { JOURNAL_FILE, STATE_FILE, Store, type CompactionStep, type StoredConnection } from './store';

const TOKEN = 'storage-token-3c4d5e';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'exalate-storage-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function connection(id: number, extra: Partial<StoredConnection> = {}): StoredConnection {
  return {
    id,
    name: `c-${id}`,
    description: `connection ${id}`,
    status: 'PENDING',
    configurationType: 'SCRIPT',
    localShortName: 'a',
    remoteShortName: 'b',
    communication: { type: 'PRIVATE' },
    version: 1,
    role: 'INITIATOR',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    rules: { outgoing: '', incoming: '' },
    triggers: [],
    ...extra,
  };
}

/** What a store holds, as plain data (for comparing two opens). */
function contents(store: Store): unknown {
  return {
    nodes: [...store.state.nodes].map(([name, n]) => [
      name,
      n.platform,
      n.nextId,
      [...n.connections.values()],
    ]),
    retired: [...store.state.retiredCodes],
  };
}

function reopen(options: Parameters<typeof Store.open>[1] = {}): Store {
  return Store.open(dir, options);
}

describe('the journal', () => {
  test('one line per commit; a reopen replays every committed change', () => {
    const store = reopen();
    store.setNode('alpha', 'servicenow');
    store.commit();
    for (let id = 1; id <= 3; id++) {
      store.put('alpha', connection(id));
      store.commit();
    }
    const c2 = store.state.nodes.get('alpha')?.connections.get(2) as StoredConnection;
    c2.description = 'changed';
    store.put('alpha', c2);
    store.remove('alpha', 3);
    store.retire('ab'.repeat(32), { reason: 'revoked', node: 'alpha', connectionId: 3 });
    store.commit();
    store.close();
    const lines = readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5]);
    expect(existsSync(path.join(dir, STATE_FILE))).toBe(false);

    const again = reopen();
    const alpha = again.state.nodes.get('alpha');
    expect([...(alpha?.connections.keys() ?? [])]).toEqual([1, 2]);
    expect(alpha?.connections.get(2)?.description).toBe('changed');
    expect(alpha?.nextId).toBe(4); // id 3 is never given again
    expect(again.state.retiredCodes.get('ab'.repeat(32))).toMatchObject({ connectionId: 3 });
    again.close();
  });

  test('nothing recorded, nothing written', () => {
    const store = reopen();
    store.commit();
    expect(store.stats.bytesWritten).toBe(0);
    store.close();
  });

  test.each([
    ['cut short (no newline)', '{"seq":3,"ops":[{"op":"del","node":"alpha","id":1}]}'],
    ['cut in the middle', '{"seq":3,"ops":[{"op":"del","no'],
    ['garbage with a newline', '\u0000\u0000\u0000\n'],
  ])('a torn last line (%s) was never acknowledged: dropped and truncated', (_, torn) => {
    const store = reopen();
    store.setNode('alpha', 'zendesk');
    store.put('alpha', connection(1));
    store.commit();
    store.put('alpha', connection(2));
    store.commit();
    store.close();
    const journal = path.join(dir, JOURNAL_FILE);
    const good = statSync(journal).size;
    appendFileSync(journal, torn);

    const again = reopen();
    expect([...(again.state.nodes.get('alpha')?.connections.keys() ?? [])]).toEqual([1, 2]);
    expect(statSync(journal).size).toBe(good);
    // The next change lands on a clean line boundary.
    again.put('alpha', connection(3));
    again.commit();
    again.close();
    const last = reopen();
    expect([...(last.state.nodes.get('alpha')?.connections.keys() ?? [])]).toEqual([1, 2, 3]);
    last.close();
  });

  test('a damaged line followed by good ones refuses to load, naming the line', () => {
    const store = reopen();
    store.setNode('alpha', 'zendesk');
    store.commit();
    store.put('alpha', connection(1));
    store.commit();
    store.close();
    const journal = path.join(dir, JOURNAL_FILE);
    const [first, second] = readFileSync(journal, 'utf8').split('\n');
    writeFileSync(journal, `${first}\n{"seq":2,"op\n${second}\n`);
    expect(() => reopen()).toThrow(/journal\.jsonl: line 2 is damaged and more lines follow it/);
  });

  test('node names are names, never inherited properties', () => {
    const store = reopen();
    for (const name of ['constructor', '__proto__', 'toString']) store.setNode(name, 'jira-cloud');
    store.put('__proto__', connection(1));
    store.commit();
    store.compact();
    store.close();
    const again = reopen();
    expect([...again.state.nodes.keys()]).toEqual(['constructor', '__proto__', 'toString']);
    expect(again.state.nodes.get('__proto__')?.connections.get(1)?.name).toBe('c-1');
    expect(again.state.nodes.has('hasOwnProperty')).toBe(false);
    again.close();
  });

  test('a state file from before the journal (no seq) still loads', () => {
    writeFileSync(
      path.join(dir, STATE_FILE),
      JSON.stringify({
        format: 1,
        nodes: { alpha: { platform: 'zendesk', nextId: 3, connections: [connection(2), connection(1)] } },
        retiredCodes: {},
      }),
    );
    const store = reopen();
    expect([...(store.state.nodes.get('alpha')?.connections.keys() ?? [])]).toEqual([1, 2]);
    store.close();
  });
});

describe('compaction', () => {
  function fill(store: Store, count: number): void {
    store.setNode('alpha', 'zendesk');
    store.commit();
    for (let id = 1; id <= count; id++) {
      store.put('alpha', connection(id));
      store.commit();
    }
  }

  test('when the journal outgrows the snapshot: a snapshot, an empty journal, the same state', () => {
    const store = reopen({ compactAfterBytes: 1 });
    fill(store, 40);
    expect(store.stats.compactions).toBeGreaterThan(0);
    // Never more journal than the snapshot (plus the line that tipped it over).
    expect(store.stats.journalBytes).toBeLessThanOrEqual(store.stats.snapshotBytes);
    const before = contents(store);
    store.close();
    expect(statSync(path.join(dir, JOURNAL_FILE)).size).toBe(store.stats.journalBytes);
    const again = reopen();
    expect(contents(again)).toEqual(before);
    again.close();
  });

  test.each<CompactionStep>(['snapshot-written', 'snapshot-installed', 'journal-truncated'])(
    'a crash at %s loses nothing acknowledged',
    (step) => {
      const store = reopen({
        compactAfterBytes: 1_000_000,
        onCompactionStep: (s) => {
          if (s === step) throw new Error(`crash at ${s}`);
        },
      });
      fill(store, 5);
      const c1 = store.state.nodes.get('alpha')?.connections.get(1) as StoredConnection;
      c1.version += 1;
      store.put('alpha', c1);
      store.remove('alpha', 5);
      store.commit();
      const before = contents(store);
      expect(() => store.compact()).toThrow(`crash at ${step}`);
      store.close(); // the process is gone: what is on disk is all there is

      const again = reopen();
      expect(contents(again)).toEqual(before);
      expect(existsSync(path.join(dir, '.state.json.tmp'))).toBe(false);
      // Later changes go on from there.
      again.put('alpha', connection(6));
      again.commit();
      again.close();
      const last = reopen();
      expect([...(last.state.nodes.get('alpha')?.connections.keys() ?? [])]).toEqual([1, 2, 3, 4, 6]);
      expect(last.state.nodes.get('alpha')?.connections.get(1)?.version).toBe(2);
      last.close();
    },
  );
});

describe('the cost of a change', () => {
  /** A data folder holding `count` connections on node alpha, as a snapshot. */
  function seed(count: number): void {
    const connections = Array.from({ length: count }, (_, i) => connection(i + 1));
    writeFileSync(
      path.join(dir, STATE_FILE),
      JSON.stringify({
        format: 1,
        seq: 0,
        nodes: { alpha: { platform: 'zendesk', nextId: count + 1, connections } },
      }),
    );
  }

  async function bytesPerChange(count: number, changes: number, compactAfterBytes?: number): Promise<number> {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    seed(count);
    const emulator = await startEmulator({
      dataDir: dir,
      token: TOKEN,
      nodes: { alpha: 'zendesk' },
      storage: compactAfterBytes === undefined ? {} : { compactAfterBytes },
    });
    try {
      const base = `${emulator.nodeUrl('alpha')}${API_BASE}`;
      const auth = await fetch(`${base}/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ authProtocol: 'basic', user: '', password: TOKEN }),
      });
      const jwt = auth.headers.get('x-exalate-jwt') as string;
      const before = emulator.storage.bytesWritten;
      for (let i = 0; i < changes; i++) {
        const res = await fetch(`${base}/connections/1`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json', 'X-exalate-jwt': jwt },
          body: JSON.stringify({ description: `change ${String(i).padStart(6, '0')}` }),
        });
        expect(res.status).toBe(200);
      }
      return (emulator.storage.bytesWritten - before) / changes;
    } finally {
      await emulator.close();
    }
  }

  test('bytes written per acknowledged change do not depend on the number of connections', async () => {
    const small = await bytesPerChange(10, 20);
    const large = await bytesPerChange(5000, 20);
    expect(small).toBeGreaterThan(0);
    expect(large).toBe(small);
    // The whole state (what every change used to rewrite) is far larger than one change.
    expect(statSync(path.join(dir, STATE_FILE)).size).toBeGreaterThan(500 * large);
    // Even when compaction is allowed at any journal size, a large state is not rewritten for a
    // few small changes: a snapshot waits until the journal has outgrown the last one.
    expect(await bytesPerChange(5000, 20, 1)).toBe(small);
  });
});

describe('group commit', () => {
  test('concurrent changes share fdatasyncs; each answer comes after its change is written', async () => {
    // A slow disk (a blocking wait, as fdatasyncSync blocks): the first fdatasync takes 100 ms,
    // the others 5 ms. The client is another process with its connections already open, so its
    // requests arrive while the emulator waits, as a CLI's would.
    const slow = new Int32Array(new SharedArrayBuffer(4));
    let syncs = 0;
    const emulator = await startEmulator({
      dataDir: dir,
      token: TOKEN,
      nodes: { alpha: 'zendesk' },
      storage: { onSync: () => void Atomics.wait(slow, 0, 0, syncs++ === 0 ? 100 : 5) },
    });
    const journal = path.join(dir, JOURNAL_FILE);
    let acknowledged: { id: number; name: string; onDisk: boolean }[];
    try {
      const base = `${emulator.nodeUrl('alpha')}${API_BASE}`;
      const before = { ...emulator.storage };
      // Each answer is checked against the journal on disk the moment it arrives.
      const client = `
        const fs = require('node:fs');
        const [base, token, journal] = process.argv.slice(1);
        (async () => {
          const auth = await fetch(base + '/authenticate', { method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ authProtocol: 'basic', user: '', password: token }) });
          const jwt = auth.headers.get('x-exalate-jwt');
          // Open the connections first: 40 reads at once.
          await Promise.all(Array.from({ length: 40 }, () =>
            fetch(base + '/connections', { headers: { 'X-exalate-jwt': jwt } }).then((r) => r.text())));
          const out = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
            const res = await fetch(base + '/connections', { method: 'POST',
              headers: { 'content-type': 'application/json', 'X-exalate-jwt': jwt },
              body: JSON.stringify({ name: 'c' + i, description: '', localShortName: 'a', remoteShortName: 'b',
                configurationType: 'SCRIPT', communication: { type: 'PRIVATE' } }) });
            const body = await res.json();
            const onDisk = fs.readFileSync(journal, 'utf8').includes('"name":"c' + i + '"');
            return { id: body.connection.id, name: 'c' + i, onDisk };
          }));
          process.stdout.write(JSON.stringify(out));
        })();`;
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['-e', client, base, TOKEN, journal], (error, out) =>
          error ? reject(error) : resolve(out),
        ),
      );
      acknowledged = JSON.parse(stdout) as typeof acknowledged;
      const after = emulator.storage;
      expect(after.commits - before.commits).toBe(40);
      expect(after.syncs - before.syncs).toBeLessThan(40);
    } finally {
      await emulator.close();
    }
    expect(acknowledged.every((a) => a.onDisk)).toBe(true);
    expect(new Set(acknowledged.map((a) => a.id)).size).toBe(40);
    const store = reopen();
    try {
      expect(store.state.nodes.get('alpha')?.connections.size).toBe(40);
    } finally {
      store.close();
    }
  });

  test("a refused request's changes are dropped; the staged changes of others stay", () => {
    const store = reopen();
    try {
      store.setNode('alpha', 'zendesk');
      store.commit();
      store.put('alpha', connection(1));
      store.stage(); // another request's change, not yet written
      const second = connection(2);
      store.put('alpha', second);
      store.discard(); // this request was refused
      expect([...store.state.nodes.get('alpha')!.connections.keys()]).toEqual([1]);
      store.flush();
      expect(store.unflushed).toBe(false);
    } finally {
      store.close();
    }
    const again = reopen();
    try {
      expect([...again.state.nodes.get('alpha')!.connections.keys()]).toEqual([1]);
    } finally {
      again.close();
    }
  });
});

describe('a write that fails', () => {
  test('is not acknowledged and not kept: every request of the batch answers 500; the next write follows on', async () => {
    let failNext = false;
    const emulator = await startEmulator({
      dataDir: dir,
      token: TOKEN,
      nodes: { alpha: 'zendesk' },
      storage: {
        onSync: () => {
          if (!failNext) return;
          failNext = false;
          throw new Error('EIO: the disk failed');
        },
      },
    });
    const base = `${emulator.nodeUrl('alpha')}${API_BASE}`;
    const create = async (jwt: string, name: string) =>
      fetch(`${base}/connections`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-exalate-jwt': jwt },
        body: JSON.stringify({
          name,
          description: '',
          localShortName: 'a',
          remoteShortName: 'b',
          configurationType: 'SCRIPT',
          communication: { type: 'PRIVATE' },
        }),
      });
    try {
      const auth = await fetch(`${base}/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ authProtocol: 'basic', user: '', password: TOKEN }),
      });
      const jwt = auth.headers.get('x-exalate-jwt') as string;
      expect((await create(jwt, 'kept')).status).toBe(201);
      failNext = true;
      const failed = await create(jwt, 'lost');
      expect(failed.status).toBe(500);
      expect(((await failed.json()) as { code: string }).code).toBe('STORAGE');
      expect(emulator.connections('alpha').map((c) => c.name)).toEqual(['kept']);
      expect((await create(jwt, 'after')).status).toBe(201);
      expect(emulator.connections('alpha').map((c) => c.name)).toEqual(['kept', 'after']);
    } finally {
      await emulator.close();
    }
    expect(readFileSync(path.join(dir, JOURNAL_FILE), 'utf8')).not.toContain('"name":"lost"');
    const store = reopen();
    try {
      const names = [...store.state.nodes.get('alpha')!.connections.values()].map((c) => c.name);
      expect(names).toEqual(['kept', 'after']);
    } finally {
      store.close();
    }
  });
});
