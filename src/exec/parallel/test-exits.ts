// A test-only way to make a parallel worker die in the middle of a task, so the tests can prove a
// lost worker fails its query with an error instead of leaving it waiting (pool.ts). Armed only by
// the environment variable TESSERA_TEST_WORKER_EXIT of the server process, never by SQL:
//   TESSERA_TEST_WORKER_EXIT=scan:exit,aggregate:throw,joinbuild:oom
// makes the first worker that claims a morsel of a parallel filtered scan call process.exit, the
// first that claims one of a parallel aggregate throw an uncaught exception, and the first that
// claims a partition of a parallel join build run out of heap; each kind fires once per process.

export type TestExitKind = 'scan' | 'aggregate' | 'joinbuild';
export type TestExitMode = 'exit' | 'throw' | 'oom';

/** What the pool hands every worker (workerData): the armed kinds, and a shared one-shot flag each. */
export interface TestExits {
  kinds: TestExitKind[];
  modes: TestExitMode[];
  /** Int32Array(kinds.length): 1 while kind i is still armed. */
  armed: SharedArrayBuffer;
}

const KINDS = new Set(['scan', 'aggregate', 'joinbuild']);
const MODES = new Set(['exit', 'throw', 'oom']);

export function testExitsFromEnv(): TestExits | null {
  const spec = process.env.TESSERA_TEST_WORKER_EXIT;
  if (spec === undefined || spec === '') return null;
  const kinds: TestExitKind[] = [];
  const modes: TestExitMode[] = [];
  for (const part of spec.split(',')) {
    const [kind, mode = 'exit'] = part.trim().split(':');
    if (!KINDS.has(kind) || !MODES.has(mode)) throw new Error(`TESSERA_TEST_WORKER_EXIT: bad entry "${part}" (kind scan|aggregate|joinbuild, mode exit|throw|oom)`);
    kinds.push(kind as TestExitKind);
    modes.push(mode as TestExitMode);
  }
  const armed = new SharedArrayBuffer(4 * kinds.length);
  new Int32Array(armed).fill(1);
  return { kinds, modes, armed };
}

/** In a worker that has just claimed work of `kind`: dies as armed (once per kind and process), else returns. */
export function maybeExitForTest(exits: TestExits | null | undefined, kind: TestExitKind): void {
  if (exits === null || exits === undefined) return;
  const i = exits.kinds.indexOf(kind);
  if (i < 0 || Atomics.compareExchange(new Int32Array(exits.armed), i, 1, 0) !== 1) return;
  switch (exits.modes[i]) {
    case 'exit':
      process.exit(70);
      break;
    case 'throw':
      // The worker's task handlers let it through (isTestCrash): uncaught, it ends the thread.
      throw new TestCrash(`test: parallel worker crashes in a ${kind} task`);
    case 'oom': {
      const hog: number[][] = [];
      for (;;) hog.push(new Array<number>(1 << 20).fill(hog.length + 0.5));
    }
  }
}

class TestCrash extends Error {}

/** The worker rethrows this one from its task's error handling, so it stays uncaught. */
export function isTestCrash(err: unknown): boolean {
  return err instanceof TestCrash;
}
