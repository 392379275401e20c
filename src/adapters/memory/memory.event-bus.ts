import { EventEmitter } from 'node:events';
import type { EventBus, JobEvent } from '../../ports/events.port.js';

/** In-process events for the embedded mode (API and worker share the process). */
export class MemoryEventBus implements EventBus {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  async publish(event: JobEvent): Promise<void> {
    this.emitter.emit(event.jobId, event);
    this.emitter.emit('*', event);
  }
  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void {
    this.emitter.on(jobId, listener);
    return () => this.emitter.off(jobId, listener);
  }
  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
