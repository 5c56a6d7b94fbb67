import type { Deps } from '../../deps.js';
import type { Problem } from '../problems.js';
import type { PayRow, PersonFlags } from '../rows.js';

/**
 * A year-end drop opened by a key holder, waiting in this process's memory
 * (as an ingest preview does, ingest/preview-cache.ts) while staff resolve
 * its rows: the typed rows (★ cells blank), the template's flags, the read
 * problems, and for numbers the file carried only their blind index (never
 * the number, P3). The decrypted bytes are zero-filled before this exists.
 * Another instance, a restart or the TTL means opening it again.
 */
export interface OpenInput {
  readonly dropId: string;
  readonly companyId: string;
  readonly nenbun: number;
  readonly format: 'unified' | 'template';
  readonly openedBy: string;
  readonly expiresAt: number;
  readonly rows: readonly PayRow[];
  readonly flags: ReadonlyMap<number, PersonFlags>;
  readonly readProblems: readonly Problem[];
  /** line → subject → blind index of the number the file carried there ('invalid': not a valid My Number). */
  readonly carried: ReadonlyMap<number, ReadonlyMap<string, string>>;
}

export const OPEN_INPUT_TTL_MS = 30 * 60_000;

const stores = new WeakMap<object, Map<string, OpenInput>>();

function store(deps: Pick<Deps, 'clock'>): Map<string, OpenInput> {
  let s = stores.get(deps);
  if (!s) stores.set(deps, (s = new Map()));
  return s;
}

export function keepOpen(deps: Pick<Deps, 'clock'>, input: OpenInput): void {
  store(deps).set(input.dropId, input);
}

export function openInput(deps: Pick<Deps, 'clock'>, dropId: string): OpenInput | undefined {
  const s = store(deps);
  const e = s.get(dropId);
  if (e && e.expiresAt <= deps.clock.now().getTime()) {
    s.delete(dropId);
    return undefined;
  }
  return e;
}

export function closeInput(deps: Pick<Deps, 'clock'>, dropId: string): void {
  store(deps).delete(dropId);
}
