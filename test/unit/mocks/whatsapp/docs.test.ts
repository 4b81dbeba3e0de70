import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../../../mocks/whatsapp/errors.js';
import { makeMock } from './helpers.js';

// docs/whatsapp-mock.md is what a vendor reads to know which calls exist: its route tables and its
// error table are held to the mock itself, both ways.

const DOC = readFileSync(resolve(import.meta.dirname, '../../../../docs/whatsapp-mock.md'), 'utf8');

/** `/:version/:nodeId/messages` and `/{version}/{phone-number-id}/messages` → `/{}/{}/messages`. */
function shape(path: string): string {
  return path.replace(/:\w+/g, '{}').replace(/\{[^}]*\}/g, '{}');
}

/**
 * Every `METHOD path` the app serves, read from fastify's route tree: each line is one node, its
 * depth given by where its `── ` starts (4 columns a level), its path the parent's plus its own.
 */
async function servedRoutes(): Promise<Set<string>> {
  const { app } = makeMock();
  await app.ready();
  const tree = app.printRoutes({ commonPrefix: false });
  await app.close();
  const out = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const at = line.indexOf('── ');
    if (at < 0) continue;
    const depth = (at - 1) / 4;
    const m = /^(\S+)(?: \(([^)]*)\))?/.exec(line.slice(at + 3));
    if (!m) continue;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[1];
    stack.push(path);
    for (const method of (m[2] ?? '').split(',').map((s) => s.trim())) {
      if (method !== '' && method !== 'HEAD') out.add(`${method} ${shape(path)}`);
    }
  }
  return out;
}

/** The `| \`METHOD\` | \`path\` |` rows of the doc's section that starts with `heading`. */
function documentedRoutes(heading: string): Set<string> {
  const start = DOC.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(0);
  const end = DOC.indexOf('\n## ', start + 1);
  const section = DOC.slice(start, end < 0 ? undefined : end);
  const out = new Set<string>();
  for (const m of section.matchAll(/^\| `(GET|POST|PUT|DELETE)` \| `([^`]+)` \|/gm)) {
    out.add(`${m[1]} ${shape(m[2] ?? '')}`);
  }
  return out;
}

describe('docs/whatsapp-mock.md', () => {
  it('lists every route the mock serves, and only those (Graph and admin tables)', async () => {
    const served = await servedRoutes();
    expect(served.size).toBeGreaterThan(30);
    const documented = new Set([
      ...documentedRoutes('## Graph API surface'),
      ...documentedRoutes('## Admin API (`/_mock/`)'),
    ]);
    expect([...served].filter((r) => !documented.has(r)).sort(), 'served but not documented').toEqual([]);
    expect([...documented].filter((r) => !served.has(r)).sort(), 'documented but not served').toEqual([]);
  });

  it('has one row per error code of the catalogue, with its title and HTTP status per profile', () => {
    const start = DOC.indexOf('\n## Errors\n');
    const section = DOC.slice(start, DOC.indexOf('\n## ', start + 1));
    const rows = new Map<number, string[]>();
    for (const m of section.matchAll(/^\| (\d+) \|(.*)$/gm)) {
      rows.set(
        Number(m[1]),
        (m[2] ?? '').split('|').map((c) => c.trim()),
      );
    }
    expect(rows.size).toBeGreaterThan(40);
    for (const def of ERROR_CATALOGUE.values()) {
      const row = rows.get(def.code);
      expect(row, `row for ${def.code}`).toBeDefined();
      expect(row?.slice(0, 3), `${def.code}`).toEqual([
        def.title,
        String(def.http['2026']),
        String(def.http.legacy),
      ]);
    }
    expect(
      [...rows.keys()].filter((c) => !ERROR_CATALOGUE.has(c)),
      'rows for codes the mock lacks',
    ).toEqual([]);
  });
});
