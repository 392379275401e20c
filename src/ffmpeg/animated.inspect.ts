/**
 * Size and frame count of an animated GIF or WebP, read from the file's own structure:
 * ffmpeg builds before 6.1 cannot decode animated WebP, so probing it is no option.
 */
export interface AnimatedInfo {
  width: number;
  height: number;
  frames: number;
  animated: boolean;
}

export function inspectWebp(buf: Buffer): AnimatedInfo | null {
  if (buf.length < 30 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WEBP') return null;
  if (buf.toString('latin1', 12, 16) !== 'VP8X') return null;
  const width = buf.readUIntLE(24, 3) + 1;
  const height = buf.readUIntLE(27, 3) + 1;
  let frames = 0;
  for (let at = 12; at + 8 <= buf.length; ) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'ANMF') frames++;
    at += 8 + size + (size % 2);
  }
  return { width, height, frames: Math.max(frames, 1), animated: (buf[20] & 0x02) !== 0 };
}

export function inspectGif(buf: Buffer): AnimatedInfo | null {
  if (buf.length < 13 || !/^GIF8[79]a$/.test(buf.toString('latin1', 0, 6))) return null;
  const width = buf.readUInt16LE(6);
  const height = buf.readUInt16LE(8);
  // Count image descriptors by walking the blocks (a plain byte search could hit pixel data).
  let at = 13;
  if (buf[10] & 0x80) at += 3 * 2 ** ((buf[10] & 0x07) + 1);
  let frames = 0;
  const skipSubBlocks = () => {
    while (at < buf.length && buf[at] !== 0) at += buf[at] + 1;
    at++;
  };
  while (at < buf.length) {
    const b = buf[at];
    if (b === 0x3b) break;
    if (b === 0x21) {
      at += 2;
      skipSubBlocks();
    } else if (b === 0x2c) {
      frames++;
      const flags = buf[at + 9];
      at += 10;
      if (flags & 0x80) at += 3 * 2 ** ((flags & 0x07) + 1);
      at++; // LZW minimum code size
      skipSubBlocks();
    } else return null;
  }
  return { width, height, frames, animated: frames > 1 };
}
