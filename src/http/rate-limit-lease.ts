import type { Redis } from 'ioredis';

/**
 * The shared request counter of the rate limiter (docs/rate-limits.md), in Redis, taken in
 * slices: a process that needs to count a request for a caller adds a slice of `leaseSize(max)`
 * to the caller's counter in one round trip and then hands out those positions, one per
 * request, from its own memory until they run out or the window ends.
 *
 * Every position is handed out once across all processes, so no more than `max` requests of
 * a window are ever allowed, exactly as with one round trip per request. What a slice costs is
 * the other way: positions a process took and did not use before the window ends are lost, so
 * with N processes a caller can be refused up to N × (slice − 1) requests early. The slice is
 * 1 % of the limit (1 for limits up to 199: exact, the default 100 a minute included), at most
 * `MAX_LEASE`. A caller over its budget is refused from the slice in memory, without Redis.
 */
export const MAX_LEASE = 100;
export const leaseSize = (max: number): number => Math.max(1, Math.min(MAX_LEASE, Math.floor(max / 100)));

/** Adds the slice; the first addition of a window starts its expiry. Answers [count after, window ms left]. */
const LEASE_SCRIPT = `
local current = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

interface Slice {
  next: number;
  last: number;
  windowEndsAt: number;
}

type LeaseRedis = Redis & { mfRateLease(key: string, windowMs: number, size: number): Promise<[number, number]> };

export interface Count {
  /** This request's position in the caller's window (over `max`: refused). */
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

export class LeasedCounter {
  private readonly slices = new Map<string, Slice[]>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly redis: LeaseRedis;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    /** Callers whose slices are kept at once (least recently seen forgotten first). */
    private readonly callers: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!('mfRateLease' in redis)) redis.defineCommand('mfRateLease', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    this.redis = redis as unknown as LeaseRedis;
  }

  /** Counts one request of `caller`: from a slice in memory when one is left, else from a new slice. */
  async incr(caller: string, windowMs: number, max: number): Promise<Count> {
    return this.take(caller) ?? this.lease(caller, windowMs, max);
  }

  /** The next position of `caller` from a slice in memory; null: a new slice is needed (`incr`). */
  take(caller: string): Count | null {
    const kept = this.slices.get(caller);
    if (!kept) return null;
    const now = this.now();
    while (kept.length > 0 && (kept[0]!.next > kept[0]!.last || kept[0]!.windowEndsAt <= now)) kept.shift();
    const slice = kept[0];
    if (!slice) {
      this.slices.delete(caller);
      return null;
    }
    return { current: slice.next++, ttl: slice.windowEndsAt - now };
  }

  private async lease(caller: string, windowMs: number, max: number): Promise<Count> {
    // One round trip at a time per caller: requests that arrive meanwhile wait for its slice.
    const waiting = this.pending.get(caller);
    if (waiting) {
      await waiting;
      return this.take(caller) ?? this.lease(caller, windowMs, max);
    }
    const size = leaseSize(max);
    const trip = this.redis.mfRateLease(this.keyPrefix + caller, windowMs, size).then(([last, ttl]) => {
      const kept = this.slices.get(caller) ?? [];
      kept.push({ next: Number(last) - size + 1, last: Number(last), windowEndsAt: this.now() + Number(ttl) });
      this.slices.delete(caller);
      this.slices.set(caller, kept);
      if (this.slices.size > this.callers) this.slices.delete(this.slices.keys().next().value!);
    });
    this.pending.set(caller, trip);
    try {
      await trip;
    } finally {
      this.pending.delete(caller);
    }
    return this.take(caller) ?? this.lease(caller, windowMs, max);
  }
}
