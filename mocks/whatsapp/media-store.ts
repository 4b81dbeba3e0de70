import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../kernel/clock.js';
import type { Rng } from '../../kernel/random.js';
import { makeNumericId } from './wamid.js';

/** Message types that carry media. */
export const MEDIA_KINDS = ['image', 'audio', 'video', 'document', 'sticker'] as const;
/** One of {@link MEDIA_KINDS}. */
export type MediaKind = (typeof MEDIA_KINDS)[number];

const MIB = 1024 * 1024;
const KIB = 1024;

/**
 * Largest file per kind, from Meta's supported-media table: image 5 MB, audio and video 16 MB,
 * document 100 MB, sticker 500 KB (animated; static ones are 100 KB, which the upload cannot tell
 * apart, so the larger bound applies). Meta writes "MB"; the mock reads it as MiB (a guess).
 */
export const MEDIA_MAX_BYTES: Readonly<Record<MediaKind, number>> = {
  image: 5 * MIB,
  audio: 16 * MIB,
  video: 16 * MIB,
  document: 100 * MIB,
  sticker: 500 * KIB,
};

/**
 * The MIME types the upload accepts, in the order Meta's own error message lists them, with the
 * kind each becomes (`image/webp` is only a sticker on WhatsApp).
 */
export const UPLOAD_MIME_TYPES: ReadonlyMap<string, MediaKind> = new Map([
  ['audio/aac', 'audio'],
  ['audio/mp4', 'audio'],
  ['audio/mpeg', 'audio'],
  ['audio/amr', 'audio'],
  ['audio/ogg', 'audio'],
  ['audio/opus', 'audio'],
  ['application/vnd.ms-powerpoint', 'document'],
  ['application/msword', 'document'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'document'],
  ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 'document'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'document'],
  ['application/pdf', 'document'],
  ['text/plain', 'document'],
  ['application/vnd.ms-excel', 'document'],
  ['image/jpeg', 'image'],
  ['image/png', 'image'],
  ['image/webp', 'sticker'],
  ['video/mp4', 'video'],
  ['video/3gpp', 'video'],
]);

/** `audio/ogg; codecs=opus` → `audio/ogg` (lower case): the part the limits are keyed by. */
export function baseMime(mime: string): string {
  const semi = mime.indexOf(';');
  return (semi < 0 ? mime : mime.slice(0, semi)).trim().toLowerCase();
}

/** One stored media object (an upload, or what a customer sent). */
export interface MediaRecord {
  id: string;
  kind: MediaKind;
  /** As given (uploads) or as the webhook says (inbound), parameters included. */
  mimeType: string;
  fileSize: number;
  sha256Hex: string;
  phoneNumberId: string;
  origin: 'upload' | 'inbound';
  createdAtEpochMs: number;
  /** The uploaded bytes; inbound media keep only `genSeed` and are regenerated on download. */
  bytes?: Buffer;
  genSeed?: number;
}

/** How much the store may hold; both bounds evict the oldest entries first. */
export interface MediaStoreLimits {
  /** Uploaded bytes kept in memory (default 128 MiB). */
  maxBytes: number;
  /** Media objects kept, uploaded and inbound together (default 100,000). */
  maxEntries: number;
  /** How long a download URL stays valid (Meta: 5 minutes). */
  urlTtlMs: number;
}

/** Defaults of {@link MediaStoreLimits}. */
export const DEFAULT_MEDIA_LIMITS: MediaStoreLimits = {
  maxBytes: 128 * MIB,
  maxEntries: 100_000,
  urlTtlMs: 5 * 60_000,
};

/** Typical sizes of what customers send, per kind: [smallest, largest] bytes, drawn log-uniformly. */
const INBOUND_SIZE: Readonly<Record<MediaKind, [number, number]>> = {
  image: [30 * KIB, 400 * KIB],
  audio: [6 * KIB, 160 * KIB],
  video: [200 * KIB, 2 * MIB],
  document: [15 * KIB, 600 * KIB],
  sticker: [8 * KIB, 90 * KIB],
};

/** What the download URL check found. */
export type UrlCheck = 'ok' | 'mismatch' | 'expired';

/**
 * The media objects of one mock: uploads (bytes kept) and media customers sent (a seed kept, the
 * bytes regenerated identically on each download), bounded by entry count and uploaded bytes with
 * the oldest evicted first. Download URLs are signed with an HMAC over the id and the expiry, so
 * only URLs the mock handed out, unexpired, are served.
 */
export class MediaStore {
  private readonly records = new Map<string, MediaRecord>();
  private bytesHeld = 0;
  /** Entries dropped to stay within the limits since the last reset. */
  evicted = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly phoneNumberId: string,
    private readonly urlSecret: string,
    readonly limits: MediaStoreLimits,
  ) {}

  /** Entries and uploaded bytes held now. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.records.size, bytes: this.bytesHeld };
  }

  /** Stores an upload (the caller has checked type and size); returns its record. */
  upload(mimeType: string, kind: MediaKind, bytes: Buffer): MediaRecord {
    const rec: MediaRecord = {
      id: this.newId(),
      kind,
      mimeType,
      fileSize: bytes.length,
      sha256Hex: createHash('sha256').update(bytes).digest('hex'),
      phoneNumberId: this.phoneNumberId,
      origin: 'upload',
      createdAtEpochMs: this.clock.epochMs(),
      bytes,
    };
    this.insert(rec);
    return rec;
  }

  /** Makes the media of an inbound message: content of `mimeType` and a plausible size for `kind`. */
  generate(kind: MediaKind, mimeType: string): MediaRecord {
    const [lo, hi] = INBOUND_SIZE[kind];
    // Log-uniform between the bounds: many small files, a few large ones.
    const size = Math.round(lo * (hi / lo) ** this.rng.next());
    const genSeed = Math.floor(this.rng.next() * 0x7fffffff) + 1;
    const rec: MediaRecord = {
      id: this.newId(),
      kind,
      mimeType,
      fileSize: size,
      sha256Hex: createHash('sha256')
        .update(generateContent(mimeType, size, genSeed))
        .digest('hex'),
      phoneNumberId: this.phoneNumberId,
      origin: 'inbound',
      createdAtEpochMs: this.clock.epochMs(),
      genSeed,
    };
    this.insert(rec);
    return rec;
  }

  get(id: string): MediaRecord | undefined {
    return this.records.get(id);
  }

  /** Removes `id`; false when it was not there. */
  delete(id: string): boolean {
    const rec = this.records.get(id);
    if (!rec) return false;
    this.remove(rec);
    return true;
  }

  /** The bytes of `rec`: the upload itself, or the regenerated inbound content. */
  content(rec: MediaRecord): Buffer {
    return rec.bytes ?? generateContent(rec.mimeType, rec.fileSize, rec.genSeed ?? 1);
  }

  /** Query parameters of a download URL for `id` valid for `urlTtlMs` from now: `mid`, `ext` (expiry, unix s), `hash`. */
  signUrl(id: string): { mid: string; ext: string; hash: string } {
    const ext = String(Math.floor((this.clock.epochMs() + this.limits.urlTtlMs) / 1000));
    return { mid: id, ext, hash: this.sign(id, ext) };
  }

  /** Whether a download URL's parameters are ones this store signed, and still valid. */
  checkUrl(mid: string, ext: string, hash: string): UrlCheck {
    if (!/^\d{1,12}$/.test(ext)) return 'mismatch';
    const want = Buffer.from(this.sign(mid, ext));
    const got = Buffer.from(hash);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'mismatch';
    return Number(ext) * 1000 <= this.clock.epochMs() ? 'expired' : 'ok';
  }

  /** Forgets every media object. */
  reset(): void {
    this.records.clear();
    this.bytesHeld = 0;
    this.evicted = 0;
  }

  private sign(id: string, ext: string): string {
    // "AT…" like the hashes in Meta's lookaside URLs; base64url so it needs no escaping.
    return `AT${createHmac('sha256', this.urlSecret).update(`${id}:${ext}`).digest('base64url').slice(0, 40)}`;
  }

  private newId(): string {
    for (;;) {
      const id = makeNumericId(this.rng, 16);
      if (!this.records.has(id)) return id;
    }
  }

  private insert(rec: MediaRecord): void {
    this.records.set(rec.id, rec);
    this.bytesHeld += rec.bytes?.length ?? 0;
    // A Map iterates in insertion order: the first key is the oldest entry.
    while (this.records.size > this.limits.maxEntries || this.bytesHeld > this.limits.maxBytes) {
      const oldest = this.records.values().next().value as MediaRecord | undefined;
      if (!oldest || oldest === rec) break;
      this.remove(oldest);
      this.evicted++;
    }
  }

  private remove(rec: MediaRecord): void {
    this.records.delete(rec.id);
    this.bytesHeld -= rec.bytes?.length ?? 0;
  }
}

/** Leading bytes that make generated content look like its type to a sniffer (`file`, `file-type`). */
function magicOf(mime: string, size: number): Buffer {
  const le32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  switch (baseMime(mime)) {
    case 'image/jpeg':
      return Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
    case 'image/png':
      return Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    case 'image/webp':
      return Buffer.concat([Buffer.from('RIFF'), le32(size - 8), Buffer.from('WEBPVP8 ')]);
    case 'audio/ogg':
    case 'audio/opus':
      return Buffer.from('OggS\u0000\u0002', 'latin1');
    case 'audio/mpeg':
      return Buffer.from('ID3\u0004\u0000\u0000', 'latin1');
    case 'audio/aac':
      return Buffer.from([0xff, 0xf1, 0x50, 0x80]);
    case 'audio/amr':
      return Buffer.from('#!AMR\n', 'latin1');
    case 'audio/mp4':
      return Buffer.from('\u0000\u0000\u0000\u0020ftypM4A \u0000\u0000\u0000\u0000', 'latin1');
    case 'video/mp4':
      return Buffer.from('\u0000\u0000\u0000\u0020ftypisom\u0000\u0000\u0002\u0000', 'latin1');
    case 'video/3gpp':
      return Buffer.from('\u0000\u0000\u0000\u0014ftyp3gp4\u0000\u0000\u0000\u0000', 'latin1');
    case 'application/pdf':
      return Buffer.from('%PDF-1.7\n', 'latin1');
    case 'application/msword':
    case 'application/vnd.ms-excel':
    case 'application/vnd.ms-powerpoint':
      return Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    default:
      return mime.includes('openxmlformats') ? Buffer.from('PK\u0003\u0004', 'latin1') : Buffer.alloc(0);
  }
}

/**
 * Deterministic content of `size` bytes for `mime`: the type's magic bytes, then xorshift32 noise
 * from `seed` (printable letters for text/plain). Same arguments, same bytes: inbound media keep
 * only the seed and are rebuilt on each download.
 */
export function generateContent(mime: string, size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  const magic = magicOf(mime, size);
  const head = Math.min(magic.length, size);
  magic.copy(out, 0, 0, head);
  let x = seed >>> 0 || 1;
  const text = baseMime(mime) === 'text/plain';
  for (let i = head; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = text ? 97 + (x % 26) : x & 0xff;
  }
  if (baseMime(mime) === 'application/pdf' && size > 16) out.write('\n%%EOF\n', size - 7, 'latin1');
  return out;
}
