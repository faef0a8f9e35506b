import v8 from 'node:v8';

/**
 * V8 grows the young generation (where new objects are made) from 1 MiB up to 16 MiB as objects
 * survive; every page it grows by is memory the process touches for the first time, and each first
 * touch is a page fault (12 µs each on the VM jailbuild was measured on, about 17,500 of them in one
 * resolve of /usr/bin). A young generation kept at its first size is collected more often but touches
 * no new memory: for a run of a second or so (a jail, a resolve of /usr/bin) that is the better
 * deal, but a run of many seconds pays more in collections than the faults cost (resolving 1,400
 * files with their scripts: 13,500 collections instead of 800, 33 s instead of 25 s). So it is kept
 * small for the first second of work only: CPU time, which does not stretch when the machine is busy.
 * The growth factor is read whenever V8 would grow it, so it can be set after start-up.
 */
const SMALL_YOUNG_GENERATION = '--semi-space-growth-factor=1';
/** V8's own default, which code caches are made under (V8 refuses a cache made under other flags). */
const DEFAULT_YOUNG_GENERATION = '--semi-space-growth-factor=2';
/** For how much CPU time the young generation is kept small. */
export const SMALL_YOUNG_GENERATION_MS = 1000;

/** When the young generation may grow again (µs of the process's CPU time); undefined: it is not kept small. */
let smallUntil: number | undefined;

/** CPU time used by the process so far (every thread), in µs. */
function cpuMicros(): number {
  const used = process.cpuUsage();
  return used.user + used.system;
}

/**
 * For the command line only, once its bundle is loaded: keeps V8's young generation at its first
 * size for `forMs` of CPU time (see SMALL_YOUNG_GENERATION). A library must not change the flags of
 * the process it runs in. A timer looks in a run that waits for I/O (and looks again later while the
 * time is not used up); the synchronous work that never lets a timer fire looks as it goes: between
 * the inputs of a resolve and the programs of a plan, at every lstat a source root makes (walking
 * trees), and at every MiB a tarball writes.
 */
export function keepYoungGenerationSmall(forMs = SMALL_YOUNG_GENERATION_MS): void {
  v8.setFlagsFromString(SMALL_YOUNG_GENERATION);
  smallUntil = cpuMicros() + forMs * 1000;
  lookLater(forMs);
}

function lookLater(ms: number): void {
  setTimeout(() => {
    letYoungGenerationGrowWhenDue();
    if (smallUntil !== undefined) lookLater(Math.max(10, (smallUntil - cpuMicros()) / 1000));
  }, Math.ceil(ms)).unref();
}

/** The clock (performance.now()) before which letYoungGenerationGrowWhenDue does not look at the CPU time again. */
let nextLook = 0;
/** How often letYoungGenerationGrowWhenDue looks at the CPU time at most: it is called on hot paths. */
const LOOK_EVERY_MS = 20;

/**
 * Lets the young generation grow as V8 sees fit once its time is up; nothing before, or when it was
 * never kept small. Cheap enough for every file a long synchronous walk meets: it reads the CPU time
 * at most every LOOK_EVERY_MS, and does nothing at all in a process that never kept it small.
 */
export function letYoungGenerationGrowWhenDue(): void {
  if (smallUntil === undefined) return;
  const now = performance.now();
  if (now < nextLook) return;
  nextLook = now + LOOK_EVERY_MS;
  if (cpuMicros() < smallUntil) return;
  v8.setFlagsFromString(DEFAULT_YOUNG_GENERATION);
  smallUntil = undefined;
}

/** Whether the young generation is being kept small now (for tests). */
export function youngGenerationKeptSmall(): boolean {
  return smallUntil !== undefined;
}

/**
 * Runs `compile` under V8's default flags: V8 takes a code cache only under the flags it was made
 * with (a hash of every flag that differs from its default), and the caches are made under the
 * defaults; the young generation goes back to being kept small afterwards.
 */
export function underDefaultFlags<T>(compile: () => T): T {
  if (smallUntil === undefined) return compile();
  v8.setFlagsFromString(DEFAULT_YOUNG_GENERATION);
  try {
    return compile();
  } finally {
    v8.setFlagsFromString(SMALL_YOUNG_GENERATION);
  }
}
