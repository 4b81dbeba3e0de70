import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Keeps the arrows of ARCHITECTURE.md / docs/design.md true by scanning imports.

const ROOT = join(import.meta.dirname, '..', '..');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...files(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const statics = [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)];
  const dynamics = [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return [...statics, ...dynamics].map((m) => m[1] as string);
}

function resolved(file: string, spec: string): string {
  return spec.startsWith('.') ? relative(ROOT, join(ROOT, file, '..', spec)) : spec;
}

describe('dependency direction', () => {
  it('mocks import only fastify, their own libraries, node:*, kernel/ and mocks/ — never src/ or connector/', () => {
    const allowed =
      /^(node:|fastify$|@fastify\/multipart$|@faker-js\/faker$|better-sqlite3$|libphonenumber-js(\/.*)?$)/;
    for (const file of files('mocks')) {
      for (const spec of imports(file)) {
        const target = resolved(file, spec);
        if (spec.startsWith('.'))
          expect(/^(mocks|kernel)\//.test(target), `${file} imports ${spec}`).toBe(true);
        else expect(allowed.test(spec), `${file} imports ${spec}`).toBe(true);
      }
    }
  });

  it('the connector imports nothing from src/ or mocks/ (kernel/ is allowed): it speaks HTTP like a vendor would', () => {
    for (const file of files('connector')) {
      for (const spec of imports(file)) {
        const target = resolved(file, spec);
        expect(target.startsWith('src/') || target.startsWith('mocks/'), `${file} imports ${spec}`).toBe(
          false,
        );
      }
    }
  });

  it('the kernel imports nothing but node builtins and its own files', () => {
    const kernel = files('kernel');
    expect(kernel.length).toBeGreaterThan(5);
    for (const file of kernel) {
      for (const spec of imports(file)) {
        if (spec.startsWith('.'))
          expect(resolved(file, spec).startsWith('kernel/'), `${file} imports ${spec}`).toBe(true);
        else expect(spec.startsWith('node:'), `${file} imports ${spec}`).toBe(true);
      }
    }
  });

  it('the judging rooms of src/ never import mocks/: they share only kernel/ with what they judge', () => {
    const rooms = ['flows', 'config', 'load', 'metrics', 'checks', 'grading', 'report', 'journal'];
    let scanned = 0;
    for (const room of rooms) {
      for (const file of files(`src/${room}`)) {
        scanned++;
        for (const spec of imports(file)) {
          expect(resolved(file, spec).startsWith('mocks/'), `${file} imports ${spec}`).toBe(false);
        }
      }
    }
    expect(scanned).toBeGreaterThan(20);
  });

  it('src/config/fault-specs.ts checks fault specs with kernel grammars only', () => {
    const file = 'src/config/fault-specs.ts';
    const specs = imports(file);
    expect(specs.length).toBeGreaterThan(0);
    for (const spec of specs) expect(resolved(file, spec).startsWith('kernel/'), spec).toBe(true);
  });

  it('checks, grading, flows and the schedule do no network or process I/O', () => {
    const pure = [
      ...files('src/checks'),
      ...files('src/grading'),
      ...files('src/flows'),
      'src/load/schedule.ts',
      'src/load/step-ramp.ts',
      'src/load/soak.ts',
    ];
    const io = /^(node:(http|https|net|dgram|child_process|fs|fs\/promises)|fastify|undici)$/;
    for (const file of pure) {
      for (const spec of imports(file)) expect(io.test(spec), `${file} imports ${spec}`).toBe(false);
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(/\bsetTimeout\(|\bsetInterval\(/.test(text), `${file} uses timers`).toBe(false);
    }
  });

  it('only the CLI entry, the io module, the child-process edge and the run-directory lock touch process; nothing logs to the console', () => {
    // src/journal/lock.ts: the run directory's pid-file lock needs this process's pid and a liveness probe.
    const edges = new Set([
      'src/cli/main.ts',
      'src/cli/io.ts',
      'src/run/connector-process.ts',
      'src/journal/lock.ts',
    ]);
    for (const file of [...files('src'), ...files('mocks')]) {
      const text = readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (!edges.has(file))
        expect(/(?<![\w-])process\.(?!js)\w/.test(text), `${file} touches process`).toBe(false);
      expect(/\bconsole\.\w/.test(text), `${file} uses console`).toBe(false);
    }
  });
});
