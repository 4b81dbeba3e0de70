import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

// Every installed package must accept the oldest Node the project promises (package.json engines).
// npm only warns (EBADENGINE) when one does not; this makes it a failure.

const ROOT = join(import.meta.dirname, '..', '..');

describe('engines', () => {
  it('every package in the lockfile accepts the oldest Node that package.json allows', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const oldest = semver.minVersion(pkg.engines.node)?.version;
    expect(oldest).toBe('20.19.0');
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const refusing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!path || !range) continue;
      if (!semver.satisfies(oldest as string, range))
        refusing.push(`${path}@${entry.version}: node ${range}`);
    }
    expect(refusing).toEqual([]);
  });
});
