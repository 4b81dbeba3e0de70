import { WacrmError } from '../errors.js';

/** Which mock a journal comes from (the `source` its entries carry). */
export type MockSource = 'whatsapp' | 'crm';

/** One journal entry as the admin API returns it (mocks/shared/journal.ts JournalEntry). */
export interface CollectedEntry {
  seq: number;
  /** The mock's monotonic clock: only comparable within one mock process. */
  atMs: number;
  /** The mock's wall clock, epoch ms: what collect aligns the journals and k6's intended times on. */
  epochMs: number;
  source: MockSource;
  kind: string;
  data: Record<string, unknown>;
}

/** What reading a journal found, besides its entries. */
export interface JournalStats {
  source: MockSource;
  url: string;
  entries: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** Entries the mock's ring overwrote before they were read (its `dropped` counter). */
  droppedByMock: number;
}

/** Fetch as collect needs it (injected so tests can point it elsewhere; Node's global fetch by default). */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

/** Entries per page: the largest the CRM mock serves (10,000), so a page stays a few MB at most. */
export const JOURNAL_PAGE_SIZE = 10_000;

/** Per request: a mock that answers slower than this is treated as unreachable. */
const REQUEST_TIMEOUT_MS = 10_000;

function label(source: MockSource): string {
  return source === 'whatsapp' ? 'the WhatsApp mock (--whatsapp)' : 'the CRM mock (--crm)';
}

/** Normalises a base URL (no trailing slash); a URL that does not parse is a usage error. */
export function baseUrl(flag: string, raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new WacrmError(
      'WACRM_USAGE',
      `${flag} must be an http(s) URL such as http://127.0.0.1:4010, got ${JSON.stringify(raw)}`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new WacrmError('WACRM_USAGE', `${flag} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  return u.href.replace(/\/+$/, '');
}

async function getJson(fetchImpl: FetchLike, source: MockSource, url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    throw new WacrmError(
      'WACRM_COLLECT_UNREACHABLE',
      `cannot reach ${label(source)} at ${url}: ${why}`,
      'check the URL and that the mock is still running (its journal lives in its memory)',
      { cause: err },
    );
  }
  const text = await res.text().catch(() => '');
  if (res.status === 404) {
    throw new WacrmError(
      'WACRM_COLLECT_NOT_A_MOCK',
      `${url} answered 404: ${label(source)} has no such admin route`,
      'give the base URL of a `wacrm mock` (e.g. http://127.0.0.1:4010), not the connector’s',
    );
  }
  if (!res.ok) {
    throw new WacrmError(
      'WACRM_COLLECT_UNREACHABLE',
      `${label(source)} answered HTTP ${res.status} at ${url}: ${text.slice(0, 200)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new WacrmError(
      'WACRM_COLLECT_NOT_A_MOCK',
      `${url} did not answer JSON (${JSON.stringify(text.slice(0, 80))}): it is not ${label(source)}`,
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks that `url` is the mock it was given as, by its health answer: the WhatsApp mock names its
 * phone number id and WABA, the CRM mock its plan and store (docs/whatsapp-mock.md, docs/crm-api.md).
 */
export async function identifyMock(fetchImpl: FetchLike, source: MockSource, url: string): Promise<void> {
  const health = await getJson(fetchImpl, source, `${url}/_mock/health`);
  const ok =
    isRecord(health) &&
    health['status'] === 'ok' &&
    (source === 'whatsapp'
      ? typeof health['phoneNumberId'] === 'string' && typeof health['wabaId'] === 'string'
      : typeof health['plan'] === 'string' && typeof health['store'] === 'string');
  if (!ok) {
    const other = source === 'whatsapp' ? 'crm' : 'whatsapp';
    throw new WacrmError(
      'WACRM_COLLECT_NOT_A_MOCK',
      `${url}/_mock/health does not answer as ${label(source)}`,
      `are --${source} and --${other} swapped? each takes its own mock's base URL`,
    );
  }
}

/** The journal page URL: the two mocks spell the cursor differently (`afterSeq`, `after_seq`). */
function pageUrl(source: MockSource, url: string, afterSeq: number, limit: number): string {
  const cursor = source === 'whatsapp' ? 'afterSeq' : 'after_seq';
  return `${url}/_mock/journal?${cursor}=${afterSeq}&limit=${limit}`;
}

function entryOf(raw: unknown, source: MockSource, url: string, index: number): CollectedEntry {
  const bad = (why: string) =>
    new WacrmError(
      'WACRM_COLLECT_NOT_A_MOCK',
      `${url}/_mock/journal: entry ${index} ${why}: this is not ${label(source)}'s journal`,
    );
  if (!isRecord(raw)) throw bad('is not an object');
  const { seq, atMs, epochMs, kind, data } = raw;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) throw bad('has no sequence number');
  if (typeof atMs !== 'number' || typeof epochMs !== 'number' || !Number.isFinite(epochMs))
    throw bad('has no atMs/epochMs times');
  if (raw['source'] !== source) throw bad(`comes from ${JSON.stringify(raw['source'])}, not ${source}`);
  if (typeof kind !== 'string' || !isRecord(data)) throw bad('has no kind or data');
  return { seq, atMs, epochMs, source, kind, data };
}

/**
 * Reads a mock's journal page by page (oldest first, `limit` entries a page) up to `untilSeq` when
 * given (a second pass stops where the first one did, though the mock keeps appending): one page is
 * in memory at a time. `stats` is filled as pages arrive.
 */
export async function* journalPages(
  fetchImpl: FetchLike,
  source: MockSource,
  url: string,
  stats: JournalStats,
  opts: { untilSeq?: number; pageSize?: number } = {},
): AsyncGenerator<CollectedEntry[]> {
  const limit = opts.pageSize ?? JOURNAL_PAGE_SIZE;
  let after = 0;
  for (;;) {
    const body = await getJson(fetchImpl, source, pageUrl(source, url, after, limit));
    if (!isRecord(body) || !Array.isArray(body['entries'])) {
      throw new WacrmError(
        'WACRM_COLLECT_NOT_A_MOCK',
        `${url}/_mock/journal did not answer {entries: […]}: this is not ${label(source)}`,
      );
    }
    if (typeof body['dropped'] === 'number') stats.droppedByMock = body['dropped'];
    const raw = body['entries'] as unknown[];
    const page: CollectedEntry[] = [];
    let last = after;
    for (let i = 0; i < raw.length; i++) {
      const e = entryOf(raw[i], source, url, stats.entries + i);
      if (e.seq <= last) {
        throw new WacrmError(
          'WACRM_COLLECT_NOT_A_MOCK',
          `${url}/_mock/journal: sequence numbers do not increase (${e.seq} after ${last})`,
        );
      }
      last = e.seq;
      if (opts.untilSeq !== undefined && e.seq > opts.untilSeq) break;
      page.push(e);
    }
    if (page.length > 0) {
      stats.entries += page.length;
      stats.firstSeq ??= (page[0] as CollectedEntry).seq;
      stats.lastSeq = (page.at(-1) as CollectedEntry).seq;
      yield page;
    }
    const reachedEnd = opts.untilSeq !== undefined && last >= opts.untilSeq;
    if (raw.length < limit || reachedEnd || page.length === 0) return;
    after = last;
  }
}

/** Fresh stats for one journal. */
export function newStats(source: MockSource, url: string): JournalStats {
  return { source, url, entries: 0, firstSeq: null, lastSeq: null, droppedByMock: 0 };
}
