// A worker process for crash tests: it takes one message, prints TAKEN <jobId>, and then
// hangs in its handler until the test SIGKILLs it. Usage (via node --import tsx):
//   queue-crash.child.ts bullmq <redisUrl> <queueName> <prefix> <lockMs>
//   queue-crash.child.ts rabbitmq <amqpUrl> <queueName>
import type { JobQueue } from '../../src/ports/queue.port.js';

const [kind, url, queueName, prefix, lockMs] = process.argv.slice(2);
let queue: JobQueue;
if (kind === 'bullmq') {
  const { BullmqJobQueue } = await import('../../src/adapters/bullmq/bullmq.job-queue.js');
  queue = await BullmqJobQueue.connect({ redisUrl: url, queueName, prefix, lockDurationMs: Number(lockMs) });
} else if (kind === 'rabbitmq') {
  const { RabbitmqJobQueue } = await import('../../src/adapters/rabbitmq/rabbitmq.job-queue.js');
  queue = await RabbitmqJobQueue.connect({ url, queueName });
} else {
  throw new Error(`unknown queue kind ${kind}`);
}
queue.consume(
  (m) =>
    new Promise<void>(() => {
      process.stdout.write(`TAKEN ${m.jobId}\n`);
    }),
  { concurrency: 1 },
);
process.stdout.write('READY\n');
