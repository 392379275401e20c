import type { OutboxKind, OutboxMessage } from '../domain/outbox.js';

/**
 * The outbox: messages a transition asks for (src/domain/outbox.ts), stored in the same
 * transaction as the state change, so a crash at any point loses none of them. A relay
 * (src/services/outbox-relay.ts) takes rows with a lease, sends them, and marks them sent;
 * a relay that dies mid-way only lets its lease run out, and the next one sends again at
 * most the rows it had not marked.
 */
export interface OutboxEntry {
  id: number;
  message: OutboxMessage;
  /** Times a relay has taken this row (a row nobody has taken yet is 0). */
  attempts: number;
}

export interface OutboxRecord extends OutboxEntry {
  availableAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  sentAt: number | null;
  lastError: string | null;
  createdAt: number;
}

/** The part of the outbox a unit of work writes to. */
export interface OutboxWriter {
  /** Adds messages, offered to relays from `at`. */
  add(messages: OutboxMessage[], at: number): Promise<void>;
}

export interface OutboxLease {
  owner: string;
  now: number;
  leaseMs: number;
}

export interface OutboxRepository extends OutboxWriter {
  /**
   * Leases up to `limit` unsent rows of these kinds that are due and not leased by anyone
   * else: a row nobody has taken yet once it has been available for `freshAfterMs` (its
   * writer's head start to send it itself), any other row once `available_at` has passed.
   * Concurrent callers never get the same row.
   */
  claimDue(lease: OutboxLease & { kinds: readonly OutboxKind[]; limit: number; freshAfterMs: number }): Promise<OutboxEntry[]>;
  /** Leases every unsent row of one job that nobody else holds, due or not (the writer sending what it just committed). */
  claimForJob(jobId: string, lease: OutboxLease): Promise<OutboxEntry[]>;
  /**
   * Marks rows sent (or found to need no sending, or given up on: then with the `error` that
   * ended them, kept as `last_error`); only rows `owner` still holds. Returns how many.
   */
  complete(ids: number[], owner: string, now: number, error?: string): Promise<number>;
  /**
   * Gives rows back: with `retry`, they are offered again from `retry.availableAt` and keep
   * the error; without, only the lease is dropped. Only rows `owner` still holds.
   */
  release(ids: number[], owner: string, retry: { availableAt: number; error: string } | null): Promise<void>;
  /** Deletes up to `limit` rows sent before `sentBefore`; returns how many. */
  prune(sentBefore: number, limit: number): Promise<number>;
  /** Every row of one job, oldest first (diagnostics and tests). */
  forJob(jobId: string): Promise<OutboxRecord[]>;
  /** Unsent rows (for health and metrics). */
  backlog(): Promise<number>;
  /**
   * Whether this process has written rows of `kind` about `subjectId` (a job, an upload) since
   * the last call for them (a rolled-back transaction may count too): after that subject's
   * change is committed, its relay of that kind has work to start now. Relays poll as well,
   * for what other processes write.
   */
  takeWritten(kind: OutboxKind, subjectId: string): boolean;
}
