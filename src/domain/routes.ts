import type { OutputType } from './job-spec.js';

/**
 * Queue routes. A job travels on the route of its "lead" output: the most demanding output
 * type it asks for, by the fixed order below (typical cost per input minute: an HLS ladder
 * encodes several renditions, clips and mp4 one full encode, gif/webp an animated encode of a
 * short span, audio an audio-only encode, frames/thumbnail/image a few decoded pictures).
 * A job with hls and thumbnail outputs goes to the hls pool, so a pool sized for cheap work
 * never picks up an hour-long transcode. A job with no outputs (metadata only: a probe) takes
 * the lightest route.
 *
 * Routes are this closed list, never user text, so queue names, Redis keys and SQL values
 * built from a route cannot carry anything a request sent.
 */
export const ROUTES = ['hls', 'clips', 'mp4', 'gif', 'webp', 'audio', 'frames', 'thumbnail', 'image'] as const satisfies readonly OutputType[];

export type Route = (typeof ROUTES)[number];

// Compile-time check that every output type has a route: adding an output type without
// placing it in ROUTES fails the typecheck here.
type MissingRoute = Exclude<OutputType, Route>;
const everyOutputTypeHasARoute: [MissingRoute] extends [never] ? true : MissingRoute = true;
void everyOutputTypeHasARoute;

const RANK: ReadonlyMap<string, number> = new Map(ROUTES.map((r, i) => [r, i]));

/** The lightest route: where metadata-only jobs go. */
export const LIGHTEST_ROUTE: Route = ROUTES[ROUTES.length - 1];

export const isRoute = (value: string): value is Route => RANK.has(value);

/** The route of a job with these outputs: its most demanding output type. */
export function jobRoute(outputs: ReadonlyArray<{ spec: { type: OutputType } } | { type: OutputType }>): Route {
  let best: Route = LIGHTEST_ROUTE;
  for (const o of outputs) {
    const type = 'spec' in o ? o.spec.type : o.type;
    if (RANK.get(type)! < RANK.get(best)!) best = type;
  }
  return best;
}

/**
 * Parses a worker's `--types` list ("hls,frames"): trimmed, deduplicated, in route order.
 * Throws one line naming the bad value and the allowed ones.
 */
export function parseRoutes(list: string): Route[] {
  const parts = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length === 0) throw new Error(`no output types given; use a comma-separated list of: ${ROUTES.join(', ')}`);
  for (const p of parts) {
    if (!isRoute(p)) throw new Error(`unknown output type "${p}"; allowed: ${ROUTES.join(', ')}`);
  }
  return ROUTES.filter((r) => parts.includes(r));
}

/** The routes a consumer takes: all when none are named; an empty list is a programming error. */
export function consumedRoutes(routes: readonly Route[] | undefined): Route[] {
  if (routes === undefined) return [...ROUTES];
  if (routes.length === 0) throw new Error('a consumer needs at least one route');
  for (const r of routes) if (!isRoute(r)) throw new Error(`unknown route "${String(r)}"; allowed: ${ROUTES.join(', ')}`);
  return ROUTES.filter((r) => routes.includes(r));
}
