import { GraphError } from './errors.js';

/**
 * The Graph versions the mock claims, oldest first. Graph keeps each version about two years; on
 * the mock's reference date (late 2026) v20.0 has expired and v26.0 is the newest release Meta's
 * changelog confirms (CONTRACT.md §5).
 */
export const CLAIMED_VERSIONS = { oldest: 'v21.0', newest: 'v26.0' } as const;

/** The range of versions a mock answers at, as `v{N}.0` strings. */
export interface VersionRange {
  oldest: string;
  newest: string;
}

/** Anything a client may have meant as a version: `v23.0`, `v23`, `v23.1`. */
const VERSION_LIKE = /^v\d{1,4}(?:\.\d{1,4})?$/i;
const VERSION = /^v(\d{1,3})\.0$/;

/** The major number of a `v{N}.0` version, or undefined for any other text. */
export function versionMajor(version: string): number | undefined {
  const m = VERSION.exec(version);
  return m ? Number(m[1]) : undefined;
}

/**
 * How a request path maps onto the versions the mock serves, as Graph maps it:
 * - no version (`/{node}/messages`): served at the default version (the app's version at Meta);
 * - an expired version (older than `oldest`): served at the oldest one, as Graph "defaults calls to
 *   an expired version to the next oldest usable version" (Graph versioning guide);
 * - a version newer than `newest`, or one that is not `v{N}.0`: left alone, so that the request is
 *   answered with {@link versionError}.
 * Returns the URL to route (the same string when nothing changes).
 */
export class VersionRouter {
  private readonly oldestMajor: number;
  private readonly newestMajor: number;
  /** The last `/v…/` prefix found good: calls come in long runs of one version. */
  private goodPrefix = '\u0000';
  /** The last version {@link versionError} found served. */
  private goodVersion = '\u0000';

  constructor(
    private readonly range: VersionRange,
    private readonly defaultVersion: string,
  ) {
    const oldest = versionMajor(range.oldest);
    const newest = versionMajor(range.newest);
    const dflt = versionMajor(defaultVersion);
    if (oldest === undefined || newest === undefined || oldest > newest) {
      throw new RangeError(
        `version range must be two v{N}.0 versions, oldest first; got ${range.oldest}..${range.newest}`,
      );
    }
    if (dflt === undefined || dflt < oldest || dflt > newest) {
      throw new RangeError(
        `WhatsApp mock option apiVersion ${defaultVersion} must lie within ${range.oldest}..${range.newest}`,
      );
    }
    this.oldestMajor = oldest;
    this.newestMajor = newest;
  }

  /** The URL Graph would serve `url` as (see the class comment). Admin paths are the caller's to skip. */
  rewrite(url: string): string {
    if (url.startsWith(this.goodPrefix)) return url;
    const end = firstSegmentEnd(url);
    const first = url.slice(1, end);
    if (first === '') return url;
    if (!VERSION_LIKE.test(first)) return `/${this.defaultVersion}${url}`;
    const major = versionMajor(first);
    if (major === undefined || major > this.newestMajor) return url;
    if (major < this.oldestMajor) return `/${this.range.oldest}${url.slice(end)}`;
    this.goodPrefix = `/${first}/`;
    return url;
  }

  /** The error for a path version the mock does not serve, or undefined when it serves it. */
  versionError(version: string): GraphError | undefined {
    if (version === this.goodVersion) return undefined;
    const major = versionMajor(version);
    if (major !== undefined && major >= this.oldestMajor && major <= this.newestMajor) {
      this.goodVersion = version;
      return undefined;
    }
    return versionError(version, this.range);
  }
}

function firstSegmentEnd(url: string): number {
  for (let i = 1; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */) return i;
  }
  return url.length;
}

/**
 * Graph's answer to a version it does not serve. A malformed one gets the message Meta's OpenAPI
 * file gives for it; one newer than the newest release gets the same code and type with the
 * version named (Meta publishes no example for that case: a documented guess).
 */
export function versionError(version: string, range: VersionRange): GraphError {
  const shown = version.slice(0, 40);
  const malformed = versionMajor(version) === undefined;
  return new GraphError(100, {
    message: malformed
      ? "Invalid version format. Use format like 'v23.0'"
      : `Unsupported version ${shown}. The latest version is ${range.newest}.`,
    type: 'OAuthException',
    noErrorData: true,
  });
}
