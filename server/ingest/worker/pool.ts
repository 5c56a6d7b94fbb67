import { limits as configured } from '../../config.js';
import { ParseError } from '../parse/errors.js';
import { endChild, holdOpen, spawnParseChild, type ParseChild } from './child-process.js';
import { parseWorkerScript } from './source.js';

/**
 * Parse processes of this server (child-process.ts): how many may read
 * files at once (limits.parse.maxConcurrent; each may grow to
 * limits.parse.maxMemoryMiB of resident memory), and — once
 * startParseWorkers() was called (at server start-up; stopped by
 * stopParseWorkers() at shutdown) — one spare process that has loaded and
 * warmed up the parser while holding no data, so a drop does not wait for a
 * process to start. Without it every parse starts its own (~0.3 s).
 *
 * Isolation is as without the spare: every process reads exactly one file
 * and is killed after it; a spare is never handed a second job and never
 * sees anything before its job. After a spare is used, the next one starts
 * in the background a little after that parse (REFILL_AFTER_PARSE_MS), or at
 * once when a key holder opens a drop (expectParse); an idle spare ends after
 * SPARE_IDLE_MS.
 */
/** How long a parse waits for a free slot before answering `busy` (unless the caller says otherwise). */
export const QUEUE_WAIT_MS = 10_000;

// ---- concurrency cap -------------------------------------------------------

let running = 0;
const waiting: Array<() => void> = [];

function grantNext(): void {
  while (running < configured.parse.maxConcurrent && waiting.length > 0) waiting.shift()!();
}

/**
 * A slot to run one parse in; call the returned function once when that
 * parse is over (its thread ended). Waiters are served in order; one that
 * waited `waitMillis` in vain gets ParseError `busy` — nothing was read, the
 * drop is as it was.
 */
export function acquireParseSlot(waitMillis: number, signal?: AbortSignal): Promise<() => void> {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    running--;
    grantNext();
  };
  if (running < configured.parse.maxConcurrent && waiting.length === 0) {
    running++;
    return Promise.resolve(release);
  }
  if (waitMillis <= 0) return Promise.reject(new ParseError('busy', `${running} parses running`));
  return new Promise((resolve, reject) => {
    const leave = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const i = waiting.indexOf(grant);
      if (i >= 0) waiting.splice(i, 1);
    };
    const grant = () => {
      leave();
      running++;
      resolve(release);
    };
    const timer = setTimeout(() => {
      leave();
      reject(new ParseError('busy', `no parse slot within ${waitMillis} ms`));
    }, waitMillis);
    const onAbort = () => {
      leave();
      reject(new ParseError('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiting.push(grant);
  });
}

/** Parses running now and parses waiting for a slot (tests, metrics). */
export function parseSlots(): { running: number; waiting: number; max: number } {
  return { running, waiting: waiting.length, max: configured.parse.maxConcurrent };
}

// ---- the spare -------------------------------------------------------------

interface Spare {
  child: ParseChild;
  memoryMiB: number;
  ready: boolean;
  /** Resolves once the spare is ready, gone, or taken. */
  settled: Promise<void>;
  settle(): void;
  onGone(): void;
}

let keepSpare = false;
let spare: Spare | undefined;
let building: Promise<void> | undefined;

/**
 * A spare that no parse has taken for this long is ended, so a server where
 * nobody is ingesting holds no warmed-up process (≈ 110 MiB); the next drop
 * page a key holder opens (expectParse), or the next parse, starts one again.
 */
export const SPARE_IDLE_MS = 10 * 60_000;
let idleMs = SPARE_IDLE_MS;
let idleTimer: NodeJS.Timeout | undefined;

function armIdleTimer(): void {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (spare?.ready) void drop(spare);
    else if (spare) armIdleTimer(); // still warming up: its idle time starts when it is ready
  }, idleMs);
  idleTimer.unref();
}

function detach(s: Spare): void {
  s.child.proc.off('exit', s.onGone);
  s.settle();
  if (spare === s) spare = undefined;
}

/** Ends a spare that will not be used (shutdown, died, never got ready). */
function drop(s: Spare): Promise<void> {
  detach(s);
  return endChild(s.child.proc);
}

async function startSpare(): Promise<void> {
  const script = await parseWorkerScript();
  if (!keepSpare || spare) return;
  const memoryMiB = configured.parse.maxMemoryMiB;
  const child = spawnParseChild(script, memoryMiB, true);
  let settle = () => {};
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const s: Spare = {
    child,
    memoryMiB,
    ready: false,
    settled,
    settle,
    // A spare that died idle is simply gone; the next parse starts a process of its own.
    onGone: () => void drop(s),
  };
  child.proc.once('exit', s.onGone);
  spare = s;
  child.ready.then(
    () => {
      if (spare !== s) return;
      s.ready = true;
      // A spare waiting idle never keeps the server alive (only once ready: until then someone may be waiting for it).
      holdOpen(child.proc, false);
      armIdleTimer();
      settle();
    },
    () => void drop(s),
  );
  // Warming up takes a fraction of a second; one that has not finished in a parse's time budget is stuck.
  const timer = setTimeout(() => {
    if (spare === s && !s.ready) void drop(s);
  }, configured.parse.maxMillis);
  timer.unref();
  void settled.then(() => clearTimeout(timer));
}

function refill(): Promise<void> {
  if (keepSpare) armIdleTimer();
  if (!keepSpare || spare) return Promise.resolve();
  building ??= startSpare().finally(() => (building = undefined));
  return building;
}

/**
 * A process for one parse: the spare when it is ready and has the same
 * memory cap (taken out of the pool: it will never be anyone's spare again),
 * else a fresh one — starting one is quicker than waiting for a spare still
 * warming up, which then stays the spare.
 */
export async function takeParseWorker(memoryMiB: number): Promise<ParseChild> {
  const s = spare;
  if (s?.ready && s.memoryMiB === memoryMiB) {
    detach(s);
    holdOpen(s.child.proc, true);
    return s.child;
  }
  return spawnParseChild(await parseWorkerScript(), memoryMiB, false);
}

/**
 * Warming a spare costs ~0.5 s of CPU. After a parse the staff member is
 * busy with that file (its preview, then the commit, which wants the CPU):
 * the next spare waits this long before it starts.
 */
const REFILL_AFTER_PARSE_MS = 3000;

/** After a parse: start the next spare a little later, if the pool keeps one and it is missing. */
export function parseWorkerDone(): void {
  if (keepSpare && !spare) setTimeout(() => void refill(), REFILL_AFTER_PARSE_MS).unref();
}

/**
 * Keep a warmed-up spare process from now on. Resolves once the first spare
 * is ready (or could not start: parses then start their own threads, as
 * without the pool). It holds no data; after `idleMs` without a parse it is
 * ended until expectParse or a parse asks for one again. With `warmNow:
 * false` (server start) the first spare waits for expectParse too: a server
 * nobody ingests on holds no parse process at all (≈ 110 MiB).
 */
export async function startParseWorkers(opts: { idleMs?: number; warmNow?: boolean } = {}): Promise<void> {
  keepSpare = true;
  idleMs = opts.idleMs ?? SPARE_IDLE_MS;
  if (opts.warmNow === false) return;
  await refill();
  await spare?.settled;
}

/**
 * A parse is likely soon (a key holder opened a drop they can ingest): have a
 * spare warming up while they type their passphrase. Does nothing unless the
 * pool keeps spares (startParseWorkers); never waits.
 */
export function expectParse(): void {
  if (keepSpare) void refill();
}

/** Stop keeping a spare and end the idle one (shutdown, test teardown). Parses already running finish. */
export async function stopParseWorkers(): Promise<void> {
  keepSpare = false;
  clearTimeout(idleTimer);
  await building?.catch(() => {});
  if (spare) await drop(spare);
}

/** Whether a spare is loaded and waiting (tests, metrics). */
export function spareParseWorker(): 'none' | 'starting' | 'ready' {
  return !spare ? 'none' : spare.ready ? 'ready' : 'starting';
}
