import type { Clock } from '../ports/clock.port.js';

/** The machine's wall clock: the one Clock the running platform uses (tests pass their own). */
export const systemClock: Clock = { now: () => Date.now() };
