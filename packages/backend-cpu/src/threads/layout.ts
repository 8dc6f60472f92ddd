/**
 * The control region: one SharedArrayBuffer that the calling thread and the
 * workers share, laid out as Int32 words, then per-task records, the text of
 * the first error, and the task arguments as float64.
 *
 * `WORD` packs a run's generation (high 21 bits) with the index of the next
 * unclaimed task (low 11 bits). Claiming a task is one compareExchange on it,
 * so a worker that wakes late can never claim a task of a later run with a
 * stale view of the earlier one (no ABA between runs short of 2^21 runs
 * passing during one compareExchange).
 */

/** Int32 word indices. */
export const WORD = 0;
/** Tasks finished in the current run; the finisher of the last one notifies it. */
export const DONE = 1;
/** Number of tasks in the current run. */
export const NTASKS = 2;
/** Index of the function, among the module's function exports, in export order. */
export const FN = 3;
/** Arguments per task (the function's arity). */
export const ARGC = 4;
/** 0, or 1 + the index of the first task that threw. */
export const ERROR = 5;
/** The thread (0 = caller) where that error happened. */
export const ERROR_THREAD = 6;
/** Length of the error message (UTF-16 code units). */
export const ERROR_LEN = 7;
/** Set to 1 to make workers leave their loop. */
export const STOP = 8;
/** How long an idle worker spins before it sleeps, in µs; read at every idle, so it can change between runs. */
export const SPIN = 9;
/** 1: idle threads shorten their spin after being descheduled while spinning (see thread-pool.ts); 0: always the full spin. */
export const ADAPT = 10;
/** 1 while the caller measures its thread waiting for a core (oversubscribed machine): idle threads then spin only MIN_SPIN_MS. */
export const CONTENDED = 11;

/**
 * Adaptive spinning (issue 16): a gap of this many ms between two clock reads
 * of a spin loop (normally < 2 µs apart) means the thread lost its core to
 * another runnable thread, i.e. the machine is oversubscribed.
 */
export const PREEMPT_MS = 0.2;
/** After such a gap a thread spins at most MIN_SPIN_MS for this long (ms). */
export const BACKOFF_MS = 50;
/** The spin while backing off (ms): the pool's spin before issue 16. */
export const MIN_SPIN_MS = 0.05;
/** First of the per-thread state words (index = thread id; 0 is the caller). */
export const STATE = 16;

/** Per-thread states. */
export const STARTING = 0;
export const RUNNING = 1;
export const DEAD = 2;

/** Most threads one pool may have (state words available). */
export const MAX_THREADS = 240;
/** Bits of WORD that hold the next task index. */
export const INDEX_BITS = 11;
/** Tasks per batch; below 2^INDEX_BITS, so claiming past the last task cannot carry into the generation. */
export const TASK_CAPACITY = 1024;
/** float64 argument slots per batch. */
export const ARG_CAPACITY = 8192;
/** UTF-16 code units kept of an error message. */
export const MESSAGE_CAPACITY = 512;

/** Int32 index of `ranBy[0]`: which thread ran each task of the last batch. */
export const RAN_BY = STATE + MAX_THREADS;
/** Byte offset of the error message (Uint16). */
export const MESSAGE_BYTE = (RAN_BY + TASK_CAPACITY) * 4;
/** Byte offset of the arguments (Float64, 8-aligned). */
export const ARGS_BYTE = Math.ceil((MESSAGE_BYTE + MESSAGE_CAPACITY * 2) / 8) * 8;
/** Total size of the control region in bytes. */
export const CONTROL_BYTES = ARGS_BYTE + ARG_CAPACITY * 8;
