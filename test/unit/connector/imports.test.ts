import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '..', '..', '..', 'connector');
const ALLOWED = /^(node:|\.\/|\.\.\/kernel\/|fastify$|libphonenumber-js(\/|$)|commander$)/;

describe('the connector speaks HTTP only', () => {
  // kernel/ is neutral (node builtins only), ships in the same package and is built by the same tsc.
  it('imports nothing but node:*, fastify, libphonenumber-js, commander, kernel/ and its own files', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(join(DIR, file), 'utf8');
      const specifiers = [
        ...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g),
      ].map((m) => m[1]);
      const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
      for (const spec of [...specifiers, ...dynamic]) {
        expect(spec, `${file} imports ${spec}`).toMatch(ALLOWED);
        expect(spec, `${file} imports ${spec}`).not.toMatch(/^\.\.\/(?!kernel\/)/);
      }
    }
  });
});
