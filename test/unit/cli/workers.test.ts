import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { workerCount } from '../../../src/cli/run.js';
import { WacrmError } from '../../../src/errors.js';
import { defaultWorkers, MAX_WORKERS } from '../../../src/run/stack.js';

describe('--workers', () => {
  it('defaults to one loop per core, between 1 and 4', () => {
    expect(workerCount(undefined)).toBe(defaultWorkers());
    expect(defaultWorkers()).toBe(Math.max(1, Math.min(4, availableParallelism())));
  });

  it('takes a whole number from 1 to the maximum', () => {
    expect(workerCount('1')).toBe(1);
    expect(workerCount('2')).toBe(2);
    expect(workerCount(String(MAX_WORKERS))).toBe(MAX_WORKERS);
  });

  it.each(['0', '-1', '1.5', 'two', '', ' ', String(MAX_WORKERS + 1)])(
    'refuses %j with a usage error that names the flag',
    (text) => {
      let err: unknown;
      try {
        workerCount(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WacrmError);
      expect((err as WacrmError).code).toBe('WACRM_USAGE');
      expect((err as WacrmError).message).toContain('--workers must be a whole number from 1 to');
    },
  );
});
