import { DomainError } from '../domain/errors.js';

/**
 * How many uploads one key may have in flight in this API process. Each open upload holds
 * a socket and a file; without a cap one key could hold them all.
 */
export class UploadSlots {
  private readonly inUse = new Map<string, number>();
  constructor(private readonly maxPerHolder: number) {}

  /** Takes a slot or throws `too_many_uploads`; call the returned function exactly once to give it back. */
  acquire(holder: string): () => void {
    const used = this.inUse.get(holder) ?? 0;
    if (used >= this.maxPerHolder) {
      throw new DomainError('too_many_uploads', `this key already has ${used} uploads in progress (at most ${this.maxPerHolder} at once); wait for one to finish`, { limit: this.maxPerHolder });
    }
    this.inUse.set(holder, used + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inUse.get(holder) ?? 1) - 1;
      if (left > 0) this.inUse.set(holder, left);
      else this.inUse.delete(holder);
    };
  }
}
