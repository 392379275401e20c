import { Command } from 'commander';
import { ApiError } from './client.js';
import { registerAccountCommands } from './commands/accounts.command.js';
import { apiCommand } from './commands/api.command.js';
import { doctorCommand } from './commands/doctor.command.js';
import { migrateCommand } from './commands/migrate.command.js';
import { workerCommand } from './commands/worker.command.js';
import { jobsCommand } from './commands/jobs.command.js';
import { startCommand } from './commands/start.command.js';
import { submitCommand } from './commands/submit.command.js';
import { watchCommand } from './commands/watch.command.js';

const program = new Command();
program.name('mediaforge').description('Self-hostable media processing: uploads in; frames, thumbnails and metadata out.');

const connection = (cmd: Command) =>
  cmd.option('--url <url>', 'server URL (default $MEDIAFORGE_URL or http://127.0.0.1:3000)').option('--key <key>', 'API key (default $MEDIAFORGE_API_KEY or ./data/admin.key)');

program
  .command('start')
  .description('run API, worker and web console in one process (SQLite + local folder + in-database queue)')
  .option('--config <file>', 'JSON config file (environment variables override it)')
  .action(startCommand);

program
  .command('api')
  .description('run the HTTP API only (distributed mode: PostgreSQL + a queue + shared storage)')
  .option('--config <file>', 'JSON config file (environment variables override it)')
  .action(apiCommand);

program
  .command('worker')
  .description('run a worker that takes jobs from the shared queue (distributed mode)')
  .option('--config <file>', 'JSON config file (environment variables override it)')
  .option('--concurrency <n>', 'jobs run at once (default $MEDIAFORGE_WORKER_CONCURRENCY)')
  .option('--types <list>', 'take only jobs whose most demanding output is one of these types, e.g. hls,frames (default $MEDIAFORGE_WORKER_TYPES, else all)')
  .action(workerCommand);

program
  .command('migrate')
  .description('apply pending database migrations (PostgreSQL)')
  .option('--config <file>', 'JSON config file (environment variables override it)')
  .action(migrateCommand);

connection(
  program
    .command('submit <file-or-url>')
    .description('upload a file (or give an http(s) URL for the server to fetch), run a job with a progress bar, and download the results')
    .option('--frames <fps>', 'extract frames at this rate (frames per second)')
    .option('--frames-count <n>', 'extract n frames evenly spread instead')
    .option('--frames-format <fmt>', 'jpg, png or webp')
    .option('--frames-width <px>', 'frame width (keeps aspect ratio)')
    .option('--fast', 'frames and clips: keyframes only / stream copy (much faster; times snap to keyframes)')
    .option('--thumbnail', 'make a representative thumbnail')
    .option('--clips <seconds>', 'split into a numbered series of clips this long (with --fast: stream copy, cuts at keyframes)')
    .option('--aspect <ratio>', 'clips aspect: source, 9:16, 1:1 or 4:5')
    .option('--fit <how>', 'clips fit for a new aspect: crop (centre) or pad')
    .option('--zip', 'also store all clips in one clips.zip')
    .option('--mp4 [height]', 'an MP4 rendition (optionally at this height)')
    .option('--audio <format>', 'the audio track as mp3, m4a or wav')
    .option('--hls', 'an adaptive HLS ladder')
    .option('--output <json>', 'any output as JSON, e.g. \'{"type":"gif","duration":3}\' (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--on-damage <policy>', 'a source cut short or with decode errors: fail (default) or warn (keep what is there)')
    .option('--out <dir>', 'where to save results', 'mediaforge-results')
    .option('--no-wait', 'print the queued job and return'),
).action(submitCommand);

connection(
  program
    .command('watch <dir>')
    .description('watch a folder: each file that has stopped growing is uploaded, processed with the preset and its results saved; a state file in the folder makes a restart skip finished files')
    .requiredOption('--preset <name>', 'the preset to process every file with (GET /v1/presets)')
    .option('--out <dir>', 'where to save results (default <dir>/out)')
    .option('--stable-ms <ms>', 'a file is complete once its size has not changed for this long', '2000'),
).action(watchCommand);

connection(
  program
    .command('jobs')
    .description('list jobs, newest first')
    .option('--status <status>', 'queued, running, succeeded, failed or canceled')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON'),
).action(jobsCommand);

registerAccountCommands(program, connection);

program.command('doctor').description('check Node.js, configuration, data dir and ffmpeg').option('--config <file>', 'JSON config file').action(doctorCommand);

program.parseAsync(process.argv).catch((err) => {
  if (err instanceof ApiError) {
    console.error(`mediaforge: [${err.code}] ${err.message}`);
  } else if ((err as { cause?: { code?: string } } | null)?.cause?.code === 'ECONNREFUSED') {
    console.error('mediaforge: cannot reach the server; is `mediaforge start` running (or --url right)?');
  } else {
    console.error(`mediaforge: ${(err as Error).message}`);
  }
  process.exit(1);
});
