/** Parsers for `ffmpeg -version`, `-encoders`, `-filters` and `-demuxers` output. */
export function parseVersion(text: string): { version: string; major: number } {
  const m = /ffmpeg version (\S+)/.exec(text);
  const version = m?.[1] ?? 'unknown';
  const numeric = /^n?(\d+)\.(\d+)/.exec(version);
  if (numeric) return { version, major: Number(numeric[1]) };
  // Git snapshots ("N-47683-g0e8eb07980") say nothing; libavformat's major does.
  const lavf = /libavformat\s+(\d+)\./.exec(text);
  const lavfToFfmpeg: Record<number, number> = { 58: 4, 59: 5, 60: 6, 61: 7, 62: 8 };
  return { version, major: lavf ? lavfToFfmpeg[Number(lavf[1])] ?? 0 : 0 };
}

/** Lines look like ` V....D libx264   libx264 H.264 …` after a `------` separator. */
export function parseCodecList(text: string): Set<string> {
  const out = new Set<string>();
  const body = text.split(/^\s*-{3,}\s*$/m).pop() ?? '';
  for (const line of body.split('\n')) {
    const m = /^\s*[A-Z.]{6}\s+(\S+)/.exec(line);
    if (m) out.add(m[1]);
  }
  return out;
}

/** Filters: ` ... thumbnail         V->V       Select the most representative frame…` */
export function parseFilterList(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*[TSC.|]{2,3}\s+(\S+)\s+\S+->\S+/.exec(line);
    if (m) out.add(m[1]);
  }
  return out;
}

/**
 * Demuxers: `  D  mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV`. Newer releases add a device
 * column (` D d lavfi …`, ` D   mov,mp4,… …`); its `d` is a flag, not a name.
 */
export function parseFormatList(text: string): Set<string> {
  const out = new Set<string>();
  const body = text.split(/^\s*--\s*$/m).pop() ?? '';
  for (const line of body.split('\n')) {
    const m = /^\s*D[E ]?[d ]?\s+(\S+)/.exec(line);
    if (m) for (const name of m[1].split(',')) out.add(name);
  }
  return out;
}
