import { describe, expect, it } from '@jest/globals';
import { applyPageChoices, planOnce, PLAN_FRESH_MS, selectionOf, type SelectableEntry } from '../../server/ingest/preview-cache.js';

/**
 * The saved choices of a preview, held with the cached entry: replaced page
 * by page, checked against the file's rows, dropped when the file is read
 * again with other columns (a new version), and the plan reused only while
 * nothing changed.
 */
function entry(persons = 120, review: Array<{ reason: string; proposedNumber?: string }> = []): SelectableEntry {
  return {
    jobId: 'job',
    attempt: 1,
    userId: 'u',
    expiresAt: Number.MAX_SAFE_INTEGER,
    version: 1,
    result: { persons: Array.from({ length: persons }, () => ({})), review },
    dispose() {},
  };
}

const none = { shownExclude: [], shownRepair: [], exclude: [], repair: [] };

describe('preview selection', () => {
  it('replaces exactly the shown keys: ticked ones in, unticked ones out, keys of other pages untouched', () => {
    const e = entry();
    applyPageChoices(e, { ...none, shownExclude: ['p0', 'p1', 'p2'], exclude: ['p1', 'p2'] });
    applyPageChoices(e, { ...none, shownExclude: ['p50', 'p51'], exclude: ['p51'] });
    applyPageChoices(e, { ...none, shownExclude: ['p0', 'p1', 'p2'], exclude: ['p2'] });
    expect([...selectionOf(e).exclude].sort()).toEqual(['p2', 'p51']);
  });

  it('ignores keys the file does not have, and repairs of rows that cannot be repaired', () => {
    const e = entry(3, [{ reason: 'check-digit' }, { reason: 'excel-damaged', proposedNumber: '012345678901' }, { reason: 'excel-damaged' }]);
    const taken = applyPageChoices(e, {
      shownExclude: ['p3', 'p-1', 'q1', 'r3'],
      shownRepair: ['r0', 'r2', 'r3'],
      exclude: ['p3', 'p00', 'r9'],
      repair: ['r0', 'r2', 'r3', 'p1'],
    });
    expect(taken).toBe(0);
    expect(selectionOf(e)).toMatchObject({ exclude: new Set(), repair: new Set() });
    applyPageChoices(e, { ...none, shownRepair: ['r1'], repair: ['r1'], exclude: ['p2', 'r1'] });
    expect(selectionOf(e)).toMatchObject({ exclude: new Set(['p2', 'r1']), repair: new Set(['r1']) });
  });

  it('starts empty again after the file is read again with other columns (a new version)', () => {
    const e = entry();
    applyPageChoices(e, { ...none, exclude: ['p4'] });
    expect(selectionOf(e).exclude.has('p4')).toBe(true);
    e.version += 1;
    expect(selectionOf(e).exclude.size).toBe(0);
    expect(selectionOf(e).version).toBe(2);
  });

  it('reuses the plan while version and choices are the same and it is fresh; recomputes otherwise', async () => {
    const e = entry();
    let runs = 0;
    const compute = async () => ++runs;
    expect((await planOnce(e, 1000, compute)).plan).toBe(1);
    expect((await planOnce(e, 2000, compute)).plan).toBe(1);
    applyPageChoices(e, { ...none, exclude: ['p1'] });
    const after = await planOnce(e, 3000, compute);
    expect(after.plan).toBe(2);
    expect([...after.selection.exclude]).toEqual(['p1']);
    e.version += 1;
    expect((await planOnce(e, 3000, compute)).plan).toBe(3);
    expect((await planOnce(e, 3000 + PLAN_FRESH_MS, compute)).plan).toBe(4);
  });
});
