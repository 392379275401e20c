// The hls output's storyboard (docs/hls.md): storyboard.vtt, whose cues point at tiles of the
// sprite as `storyboard.jpg#xywh=x,y,w,h`, the format players use for seek previews.

export interface Tile {
  start: number;
  end: number;
  /** The sprite's URL, resolved against the VTT's own (the signed link's token is in its path). */
  sprite: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** `hh:mm:ss.mmm` or `mm:ss.mmm` as seconds. */
function seconds(t: string): number {
  const parts = t.trim().split(':').map(Number);
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}

/** The cues of a thumbnails VTT; cues without an `#xywh=` fragment are left out. */
export function parseStoryboard(vtt: string, vttUrl: string): Tile[] {
  const tiles: Tile[] = [];
  for (const block of vtt.replace(/\r\n/g, '\n').split(/\n\n+/)) {
    const lines = block.split('\n').filter(Boolean);
    const timing = lines.findIndex((l) => l.includes('-->'));
    if (timing < 0 || !lines[timing + 1]) continue;
    const [from, to] = lines[timing].split('-->');
    const target = lines[timing + 1].trim();
    const m = /#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(target);
    if (!m) continue;
    tiles.push({
      start: seconds(from),
      end: seconds(to.trim().split(/\s/)[0]),
      sprite: new URL(target.slice(0, m.index), vttUrl).href,
      x: Number(m[1]),
      y: Number(m[2]),
      w: Number(m[3]),
      h: Number(m[4]),
    });
  }
  return tiles;
}

/** The tile shown at `time`: the cue that holds it, else the last one before it. */
export function tileAt(tiles: Tile[], time: number): Tile | null {
  let best: Tile | null = null;
  for (const t of tiles) {
    if (t.start <= time) best = t;
    if (time < t.end && t.start <= time) return t;
  }
  return best ?? tiles[0] ?? null;
}
