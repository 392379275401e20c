import { MemoryEventBus } from '../../src/adapters/memory/memory.event-bus.js';
import { runEventBusContract } from './event-bus.contract.js';

runEventBusContract('in-process', async () => {
  const bus = new MemoryEventBus();
  return { pub: bus, sub: bus, cleanup: () => bus.close() };
});
