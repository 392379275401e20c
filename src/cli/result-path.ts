import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ApiError } from './client.js';

/**
 * Where `mediaforge submit` saves one result file: `<out>/<job id>/<NN>-<type>/<name>`,
 * the layout of the storage keys (`jobs/<id>/<NN>-<type>/<name>`). File names are
 * relative to their output's folder, so keeping each output in its own folder keeps
 * what points at what: an HLS master playlist at its `v0/index.m3u8`, a storyboard VTT
 * at its sprite. The job id, the type and the names come from the server: anything that
 * could land outside the --out folder is refused before a byte is written.
 */
export function resultPath(outDir: string, jobId: string, outputIndex: number, type: string, name: string): string {
  const id = oneSegment(jobId, 'job id');
  const folder = `${String(outputIndex).padStart(2, '0')}-${oneSegment(type, 'output type')}`;
  const root = resolve(outDir);
  const target = join(root, id, folder, ...relativeSegments(name, 'file name'));
  // Belt and braces: whatever the checks above let through must still resolve inside.
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) throw unsafe(name, 'file name', 'it resolves outside the --out folder');
  return target;
}

/** The folder of one job's results (job.json goes there). */
export function jobResultDir(outDir: string, jobId: string): string {
  return join(resolve(outDir), oneSegment(jobId, 'job id'));
}

/**
 * Splits a server-given relative name (`master.m3u8`, `v0/index.m3u8`) into its parts,
 * refusing what a file system could read as leaving the folder: `..`, an absolute path,
 * a backslash (a separator on Windows), a colon (a drive or a stream on Windows), NUL and
 * other control characters, empty parts.
 */
export function relativeSegments(name: unknown, what: string): string[] {
  if (typeof name !== 'string' || name.length === 0) throw unsafe(name, what, 'it is empty');
  if (name.length > 1024) throw unsafe(name, what, 'it is longer than 1024 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw unsafe(name, what, 'it contains a NUL or control character');
  if (name.includes('\\')) throw unsafe(name, what, 'it contains a backslash');
  if (name.includes(':')) throw unsafe(name, what, 'it contains a colon');
  if (name.startsWith('/')) throw unsafe(name, what, 'it is an absolute path');
  const parts = name.split('/');
  for (const part of parts) {
    if (part === '') throw unsafe(name, what, 'it has an empty path segment');
    if (part === '.' || part === '..') throw unsafe(name, what, `it has a "${part}" segment`);
  }
  return parts;
}

function oneSegment(value: unknown, what: string): string {
  const parts = relativeSegments(value, what);
  if (parts.length !== 1) throw unsafe(value, what, 'it contains a "/"');
  return parts[0];
}

function unsafe(value: unknown, what: string, why: string): ApiError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 120)) : String(value);
  return new ApiError(
    0,
    'unsafe_file_name',
    `refusing the server's ${what} ${shown}: ${why}, so it could be written outside the --out folder; nothing of this job was saved (is --url a mediaforge server?)`,
  );
}
