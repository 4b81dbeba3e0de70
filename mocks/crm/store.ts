import Database from 'better-sqlite3';
import { RecencyMap } from '../../kernel/recency-map.js';
import { phoneKeys } from './phone.js';
import type {
  Contact,
  Conversation,
  CrmEventRecord,
  CrmMessage,
  ErrorLog,
  Handover,
  HubSpotRecord,
  SeedInfo,
} from './types.js';

/** Computes the keys a document is indexed under, per index name (e.g. `phone` → digits). */
export type IndexFns<T> = Record<string, (doc: T) => readonly string[]>;

/** One page of a table, oldest first; `lastSeq` is the cursor for the next page when `more`. */
export interface Page<T> {
  items: T[];
  lastSeq: number;
  more: boolean;
}

/**
 * A collection of JSON documents with an id, an insertion sequence (for cursors) and secondary
 * indexes. Every lookup the routes do is by id or by an index key, so each request costs O(1)
 * (plus the size of the answer) however many records there are.
 */
export interface Table<T extends { id: string }> {
  /** The document with this id. */
  get(id: string): T | undefined;
  /** Adds a new document; returns its sequence number. */
  insert(doc: T): number;
  /** Replaces the stored document with the same id and re-indexes it (call after every change). */
  update(doc: T): void;
  /** Documents whose `index` holds `key`, oldest first. */
  find(index: string, key: string): T[];
  /** Documents after sequence `afterSeq` (optionally only those under `index`=`key`), oldest first. */
  page(opts: { afterSeq: number; limit: number; index?: string; key?: string }): Page<T>;
  /** Documents `offset`..`offset+limit` in insertion order (admin dumps). */
  slice(offset: number, limit: number): T[];
  /** Every document, oldest first. */
  all(): T[];
  /** How many documents there are. */
  count(): number;
  /** Removes everything. */
  clear(): void;
}

/** A stored answer to a request that carried an `Idempotency-Key`. */
export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  statusCode: number;
  body: string;
  epochMs: number;
}

/** Idempotency keys, bounded in age and count. */
export interface IdempotencyStore {
  /** The stored answer for this key. */
  get(key: string): IdempotencyRecord | undefined;
  /** Stores an answer. */
  put(rec: IdempotencyRecord): void;
  /** Drops records older than `minEpochMs` and the oldest beyond `maxCount`. */
  prune(minEpochMs: number, maxCount: number): void;
  /** How many keys are stored. */
  count(): number;
  /** Forgets every key. */
  clear(): void;
}

/** All the CRM's state. The in-memory and the SQLite implementation behave the same. */
export interface CrmStore {
  readonly kind: 'memory' | 'sqlite';
  readonly contacts: Table<Contact>;
  readonly conversations: Table<Conversation>;
  readonly messages: Table<CrmMessage>;
  readonly handovers: Table<Handover>;
  readonly errorLogs: Table<ErrorLog>;
  readonly events: Table<CrmEventRecord>;
  readonly seedInfo: Table<SeedInfo>;
  /** What the HubSpot dialect keeps beyond the native model (mocks/crm/dialects/hubspot/). */
  readonly hubspot: Table<HubSpotRecord>;
  readonly idempotency: IdempotencyStore;
  /** A small persisted setting (id counter, seeded flag). */
  getMeta(key: string): string | undefined;
  /** Sets a persisted setting. */
  setMeta(key: string, value: string): void;
  /** Runs `fn` atomically (one SQLite transaction; a plain call in memory). */
  transaction<R>(fn: () => R): R;
  /** Removes all records, keys and settings. */
  clear(): void;
  /** Releases the file, if any. Further use is an error. */
  close(): void;
}

/** The indexes each collection keeps. */
export const INDEXES = {
  contacts: { phone: (c: Contact) => phoneKeys(c.phone, c.country) } as IndexFns<Contact>,
  conversations: {
    contact: (c: Conversation) => [c.contact_id],
    current: (c: Conversation) => (c.status === 'closed' ? [] : [c.contact_id]),
  } as IndexFns<Conversation>,
  messages: {
    conversation: (m: CrmMessage) => [m.conversation_id],
    wamid: (m: CrmMessage) => [m.wa_message_id],
  } as IndexFns<CrmMessage>,
  handovers: {
    status: (h: Handover) => [h.status],
    queued: (h: Handover) => (h.status === 'queued' ? [h.conversation_id] : []),
  } as IndexFns<Handover>,
  errorLogs: {} as IndexFns<ErrorLog>,
  events: {
    pending: (e: CrmEventRecord) => (e.delivery.state === 'pending' ? ['pending'] : []),
  } as IndexFns<CrmEventRecord>,
  seedInfo: {} as IndexFns<SeedInfo>,
  // Listing one object type in creation order; archived records sit under their own key.
  hubspot: {
    type: (r: HubSpotRecord) => [r.archived ? `${r.objectType}:archived` : r.objectType],
    // Phone-like contact properties the native phone index does not cover (digits only).
    phone: (r: HubSpotRecord) =>
      r.objectType !== 'contacts'
        ? []
        : [r.properties['hs_whatsapp_phone_number'], r.properties['mobilephone']]
            .map((v) => (v ?? '').replace(/\D/g, ''))
            .filter((v) => v.length > 0),
  } as IndexFns<HubSpotRecord>,
};

// ---------------------------------------------------------------------------------------------
// In memory

function firstAfter(seqs: number[], afterSeq: number): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((seqs[mid] as number) <= afterSeq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class MemoryTable<T extends { id: string }> implements Table<T> {
  private byId = new Map<string, { seq: number; doc: T; keys: Record<string, readonly string[]> }>();
  private seqs: number[] = [];
  private ids: string[] = [];
  private idx = new Map<string, Map<string, Set<string>>>();
  private nextSeq = 1;

  constructor(
    private readonly indexFns: IndexFns<T>,
    private readonly onChange: () => void = () => {},
  ) {}

  private keysOf(doc: T): Record<string, readonly string[]> {
    const keys: Record<string, readonly string[]> = {};
    for (const [name, fn] of Object.entries(this.indexFns)) keys[name] = fn(doc);
    return keys;
  }
  private bucket(index: string, key: string, create: boolean): Set<string> | undefined {
    let byKey = this.idx.get(index);
    if (!byKey) {
      if (!create) return undefined;
      byKey = new Map();
      this.idx.set(index, byKey);
    }
    let set = byKey.get(key);
    if (!set && create) {
      set = new Set();
      byKey.set(key, set);
    }
    return set;
  }
  get(id: string): T | undefined {
    return this.byId.get(id)?.doc;
  }
  insert(doc: T): number {
    if (this.byId.has(doc.id)) throw new Error(`duplicate id ${doc.id}`);
    const seq = this.nextSeq++;
    const keys = this.keysOf(doc);
    this.byId.set(doc.id, { seq, doc, keys });
    this.seqs.push(seq);
    this.ids.push(doc.id);
    for (const [name, ks] of Object.entries(keys))
      for (const k of ks) this.bucket(name, k, true)?.add(doc.id);
    this.onChange();
    return seq;
  }
  update(doc: T): void {
    const rec = this.byId.get(doc.id);
    if (!rec) throw new Error(`unknown id ${doc.id}`);
    const keys = this.keysOf(doc);
    for (const [name, newKeys] of Object.entries(keys)) {
      const oldKeys = rec.keys[name] ?? [];
      for (const k of oldKeys) {
        if (newKeys.includes(k)) continue;
        const set = this.bucket(name, k, false);
        set?.delete(doc.id);
        if (set?.size === 0) this.idx.get(name)?.delete(k);
      }
      for (const k of newKeys) if (!oldKeys.includes(k)) this.bucket(name, k, true)?.add(doc.id);
    }
    rec.doc = doc;
    rec.keys = keys;
    this.onChange();
  }
  private sortedIds(index: string, key: string): Array<{ seq: number; doc: T }> {
    const set = this.bucket(index, key, false);
    if (!set) return [];
    const out: Array<{ seq: number; doc: T }> = [];
    for (const id of set) {
      const rec = this.byId.get(id);
      if (rec) out.push({ seq: rec.seq, doc: rec.doc });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }
  find(index: string, key: string): T[] {
    return this.sortedIds(index, key).map((r) => r.doc);
  }
  page(opts: { afterSeq: number; limit: number; index?: string; key?: string }): Page<T> {
    let recs: Array<{ seq: number; doc: T }>;
    if (opts.index !== undefined && opts.key !== undefined) {
      recs = this.sortedIds(opts.index, opts.key).filter((r) => r.seq > opts.afterSeq);
      recs = recs.slice(0, opts.limit + 1);
    } else {
      const start = firstAfter(this.seqs, opts.afterSeq);
      recs = [];
      for (let i = start; i < this.ids.length && recs.length <= opts.limit; i++) {
        const rec = this.byId.get(this.ids[i] as string);
        if (rec) recs.push({ seq: rec.seq, doc: rec.doc });
      }
    }
    const more = recs.length > opts.limit;
    const items = recs.slice(0, opts.limit);
    return { items: items.map((r) => r.doc), lastSeq: items.at(-1)?.seq ?? opts.afterSeq, more };
  }
  slice(offset: number, limit: number): T[] {
    return this.ids.slice(offset, offset + limit).map((id) => this.byId.get(id)?.doc as T);
  }
  all(): T[] {
    return this.ids.map((id) => this.byId.get(id)?.doc as T);
  }
  count(): number {
    return this.ids.length;
  }
  clear(): void {
    this.byId.clear();
    this.seqs = [];
    this.ids = [];
    this.idx.clear();
    this.onChange();
  }
}

class MemoryIdempotency implements IdempotencyStore {
  /** Oldest put first (a RecencyMap: pruning from the front stays O(1) per record). */
  private recs = new RecencyMap<string, IdempotencyRecord>();
  get(key: string): IdempotencyRecord | undefined {
    return this.recs.get(key);
  }
  put(rec: IdempotencyRecord): void {
    this.recs.touch(rec.key, rec);
  }
  prune(minEpochMs: number, maxCount: number): void {
    for (let o = this.recs.oldest(); o; o = this.recs.oldest()) {
      if (o.value.epochMs >= minEpochMs && this.recs.size <= maxCount) break;
      this.recs.shift();
    }
  }
  count(): number {
    return this.recs.size;
  }
  clear(): void {
    this.recs.clear();
  }
}

/** State in memory: maps by id and by index key. */
export function createMemoryStore(): CrmStore {
  const meta = new Map<string, string>();
  const tables = {
    contacts: new MemoryTable(INDEXES.contacts),
    conversations: new MemoryTable(INDEXES.conversations),
    messages: new MemoryTable(INDEXES.messages),
    handovers: new MemoryTable(INDEXES.handovers),
    errorLogs: new MemoryTable(INDEXES.errorLogs),
    events: new MemoryTable(INDEXES.events),
    seedInfo: new MemoryTable(INDEXES.seedInfo),
    hubspot: new MemoryTable(INDEXES.hubspot),
  };
  const idempotency = new MemoryIdempotency();
  return {
    kind: 'memory',
    ...tables,
    idempotency,
    getMeta: (k) => meta.get(k),
    setMeta: (k, v) => void meta.set(k, v),
    transaction: (fn) => fn(),
    clear() {
      for (const t of Object.values(tables)) t.clear();
      idempotency.clear();
      meta.clear();
    },
    close() {},
  };
}

// ---------------------------------------------------------------------------------------------
// SQLite (better-sqlite3): the same tables as JSON documents plus an index table per collection

type Db = Database.Database;
type Stmt = Database.Statement;

const SCHEMA_VERSION = '1';

class SqliteTable<T extends { id: string }> implements Table<T> {
  private readonly s: Record<string, Stmt>;
  private n: number;

  constructor(
    db: Db,
    name: string,
    private readonly indexFns: IndexFns<T>,
  ) {
    const t = `t_${name}`;
    const i = `i_${name}`;
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ${i} (idx TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (idx, key, seq)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ${i}_seq ON ${i} (seq);`);
    this.s = {
      get: db.prepare(`SELECT doc FROM ${t} WHERE id = ?`),
      seq: db.prepare(`SELECT seq FROM ${t} WHERE id = ?`),
      insert: db.prepare(`INSERT INTO ${t} (id, doc) VALUES (?, ?)`),
      update: db.prepare(`UPDATE ${t} SET doc = ? WHERE id = ?`),
      idxInsert: db.prepare(`INSERT OR IGNORE INTO ${i} (idx, key, seq) VALUES (?, ?, ?)`),
      idxDelete: db.prepare(`DELETE FROM ${i} WHERE seq = ?`),
      find: db.prepare(
        `SELECT t.doc FROM ${i} i JOIN ${t} t ON t.seq = i.seq WHERE i.idx = ? AND i.key = ? ORDER BY i.seq`,
      ),
      pageIdx: db.prepare(
        `SELECT t.seq, t.doc FROM ${i} i JOIN ${t} t ON t.seq = i.seq WHERE i.idx = ? AND i.key = ? AND i.seq > ? ORDER BY i.seq LIMIT ?`,
      ),
      page: db.prepare(`SELECT seq, doc FROM ${t} WHERE seq > ? ORDER BY seq LIMIT ?`),
      slice: db.prepare(`SELECT doc FROM ${t} ORDER BY seq LIMIT ? OFFSET ?`),
      all: db.prepare(`SELECT doc FROM ${t} ORDER BY seq`),
      count: db.prepare(`SELECT COUNT(*) AS n FROM ${t}`),
      clear: db.prepare(`DELETE FROM ${t}`),
      clearIdx: db.prepare(`DELETE FROM ${i}`),
    };
    this.n = (this.s['count']!.get() as { n: number }).n;
  }
  private index(doc: T, seq: number): void {
    for (const [name, fn] of Object.entries(this.indexFns))
      for (const k of fn(doc)) this.s['idxInsert']!.run(name, k, seq);
  }
  get(id: string): T | undefined {
    const row = this.s['get']!.get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as T) : undefined;
  }
  insert(doc: T): number {
    const seq = Number(this.s['insert']!.run(doc.id, JSON.stringify(doc)).lastInsertRowid);
    this.index(doc, seq);
    this.n++;
    return seq;
  }
  update(doc: T): void {
    const row = this.s['seq']!.get(doc.id) as { seq: number } | undefined;
    if (!row) throw new Error(`unknown id ${doc.id}`);
    this.s['update']!.run(JSON.stringify(doc), doc.id);
    this.s['idxDelete']!.run(row.seq);
    this.index(doc, row.seq);
  }
  find(index: string, key: string): T[] {
    return (this.s['find']!.all(index, key) as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as T);
  }
  page(opts: { afterSeq: number; limit: number; index?: string; key?: string }): Page<T> {
    const rows = (
      opts.index !== undefined && opts.key !== undefined
        ? this.s['pageIdx']!.all(opts.index, opts.key, opts.afterSeq, opts.limit + 1)
        : this.s['page']!.all(opts.afterSeq, opts.limit + 1)
    ) as Array<{ seq: number; doc: string }>;
    const more = rows.length > opts.limit;
    const items = rows.slice(0, opts.limit);
    return {
      items: items.map((r) => JSON.parse(r.doc) as T),
      lastSeq: items.at(-1)?.seq ?? opts.afterSeq,
      more,
    };
  }
  slice(offset: number, limit: number): T[] {
    return (this.s['slice']!.all(limit, offset) as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as T);
  }
  all(): T[] {
    return (this.s['all']!.all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as T);
  }
  count(): number {
    return this.n;
  }
  clear(): void {
    this.s['clear']!.run();
    this.s['clearIdx']!.run();
    this.n = 0;
  }
}

class SqliteIdempotency implements IdempotencyStore {
  private readonly s: Record<string, Stmt>;
  private n: number;
  constructor(db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, epoch_ms INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS idempotency_epoch ON idempotency (epoch_ms);`);
    this.s = {
      get: db.prepare('SELECT key, fingerprint, status, body, epoch_ms FROM idempotency WHERE key = ?'),
      put: db.prepare(
        'INSERT OR REPLACE INTO idempotency (key, fingerprint, status, body, epoch_ms) VALUES (?, ?, ?, ?, ?)',
      ),
      pruneAge: db.prepare('DELETE FROM idempotency WHERE epoch_ms < ?'),
      pruneCount: db.prepare(
        'DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency ORDER BY epoch_ms LIMIT ?)',
      ),
      count: db.prepare('SELECT COUNT(*) AS n FROM idempotency'),
      clear: db.prepare('DELETE FROM idempotency'),
    };
    this.n = (this.s['count']!.get() as { n: number }).n;
  }
  get(key: string): IdempotencyRecord | undefined {
    const r = this.s['get']!.get(key) as
      | { key: string; fingerprint: string; status: number; body: string; epoch_ms: number }
      | undefined;
    return r
      ? { key: r.key, fingerprint: r.fingerprint, statusCode: r.status, body: r.body, epochMs: r.epoch_ms }
      : undefined;
  }
  put(rec: IdempotencyRecord): void {
    const changes = this.s['put']!.run(
      rec.key,
      rec.fingerprint,
      rec.statusCode,
      rec.body,
      Math.round(rec.epochMs),
    );
    if (changes.changes > 0) this.n = (this.s['count']!.get() as { n: number }).n;
  }
  prune(minEpochMs: number, maxCount: number): void {
    this.s['pruneAge']!.run(Math.round(minEpochMs));
    this.n = (this.s['count']!.get() as { n: number }).n;
    if (this.n > maxCount) {
      this.s['pruneCount']!.run(this.n - maxCount);
      this.n = maxCount;
    }
  }
  count(): number {
    return this.n;
  }
  clear(): void {
    this.s['clear']!.run();
    this.n = 0;
  }
}

/**
 * State in a SQLite file (WAL, synchronous=NORMAL: a crash loses at most the last transactions,
 * never corrupts the file). Opening an existing file picks up where the last process left off.
 * Throws an Error naming the file if it is not a CRM store.
 */
export function createSqliteStore(file: string): CrmStore {
  let db: Db;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  } catch (err) {
    throw new Error(
      `cannot open ${file} as a SQLite CRM store: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const getMetaStmt = db.prepare('SELECT value FROM meta WHERE key = ?');
  const setMetaStmt = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  const version = (getMetaStmt.get('schema') as { value: string } | undefined)?.value;
  if (version !== undefined && version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(`${file} holds CRM store schema ${version}; this version reads schema ${SCHEMA_VERSION}`);
  }
  setMetaStmt.run('schema', SCHEMA_VERSION);
  const tables = {
    contacts: new SqliteTable(db, 'contacts', INDEXES.contacts),
    conversations: new SqliteTable(db, 'conversations', INDEXES.conversations),
    messages: new SqliteTable(db, 'messages', INDEXES.messages),
    handovers: new SqliteTable(db, 'handovers', INDEXES.handovers),
    errorLogs: new SqliteTable(db, 'error_logs', INDEXES.errorLogs),
    events: new SqliteTable(db, 'events', INDEXES.events),
    seedInfo: new SqliteTable(db, 'seed_info', INDEXES.seedInfo),
    hubspot: new SqliteTable(db, 'hubspot', INDEXES.hubspot),
  };
  const idempotency = new SqliteIdempotency(db);
  return {
    kind: 'sqlite',
    ...tables,
    idempotency,
    getMeta: (k) => (getMetaStmt.get(k) as { value: string } | undefined)?.value,
    setMeta: (k, v) => void setMetaStmt.run(k, v),
    transaction: <R>(fn: () => R): R => (db.inTransaction ? fn() : db.transaction(fn)()),
    clear() {
      db.transaction(() => {
        for (const t of Object.values(tables)) t.clear();
        idempotency.clear();
        db.exec('DELETE FROM meta');
        setMetaStmt.run('schema', SCHEMA_VERSION);
      })();
    },
    close() {
      if (db.open) db.close();
    },
  };
}
