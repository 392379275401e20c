// Reads the entries of a ZIP of stored (not deflated) files, the frames output's frames.zip
// (src/pipelines/stored-zip.ts): the central directory names each entry and its offset, the
// bytes are sliced out as they are. A deflated entry is left out (the console cannot inflate).

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function readStoredZip(buffer: ArrayBuffer): ZipEntry[] {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  let eocd = -1;
  for (let i = buffer.byteLength - 22; i >= Math.max(0, buffer.byteLength - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a ZIP file (no end of central directory)');
  let count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  // ZIP64: the real count and offset are in the ZIP64 end record the locator points at.
  if ((count === 0xffff || at === 0xffffffff) && eocd >= 20 && view.getUint32(eocd - 20, true) === EOCD64_LOCATOR) {
    const rec = Number(view.getBigUint64(eocd - 12, true));
    count = Number(view.getBigUint64(rec + 32, true));
    at = Number(view.getBigUint64(rec + 48, true));
  }
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (view.getUint32(at, true) !== CENTRAL) throw new Error(`damaged ZIP: no central entry at ${at}`);
    const method = view.getUint16(at + 10, true);
    let size = view.getUint32(at + 20, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    let offset = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLen));
    // ZIP64 extra field (0x0001): the 64-bit sizes and offset, in this order, for those that overflowed.
    for (let e = at + 46 + nameLen; e < at + 46 + nameLen + extraLen; ) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 1) {
        let f = e + 4;
        const next = () => Number(view.getBigUint64((f += 8) - 8, true));
        if (view.getUint32(at + 24, true) === 0xffffffff) next();
        if (size === 0xffffffff) size = next();
        if (offset === 0xffffffff) offset = next();
      }
      e += 4 + len;
    }
    at += 46 + nameLen + extraLen + commentLen;
    if (method !== 0 || view.getUint32(offset, true) !== LOCAL) continue;
    const start = offset + 30 + view.getUint16(offset + 26, true) + view.getUint16(offset + 28, true);
    entries.push({ name, data: bytes.subarray(start, start + size) });
  }
  return entries;
}
