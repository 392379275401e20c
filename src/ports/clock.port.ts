/** Where every layer reads the time, so tests can hold it still (the implementation: src/adapters/system-clock.ts). */
export interface Clock {
  now(): number;
}
