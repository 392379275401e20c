/**
 * Where a Matroska/WebM file says it ends: the EBML header is followed by one Segment
 * element whose size is written up front (unless the writer streamed it and left the size
 * unknown). A file cut short in transfer keeps that size, so the Segment runs past the end.
 */

const EBML_ID = 0x1a45dfa3;
const SEGMENT_ID = 0x18538067;

/** An EBML variable-length integer at `at`: its byte length and value (null when all value bits are 1: unknown). */
function vint(buf: Buffer, at: number, keepMarker: boolean): { length: number; value: number | null } | null {
  if (at >= buf.length) return null;
  const first = buf[at];
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 8 || at + length > buf.length) return null;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    value = value * 256 + buf[at + i];
    allOnes &&= buf[at + i] === 0xff;
  }
  return { length, value: !keepMarker && allOnes ? null : value };
}

function element(buf: Buffer, at: number): { id: number; dataStart: number; size: number | null } | null {
  const id = vint(buf, at, true);
  if (!id) return null;
  const size = vint(buf, at + id.length, false);
  if (!size) return null;
  return { id: id.value!, dataStart: at + id.length + size.length, size: size.value };
}

export function looksLikeMatroska(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === EBML_ID;
}

/** The byte where the Segment ends by its declared size; null when the size is unknown or the head is not Matroska. */
export function matroskaDeclaredEnd(head: Buffer): number | null {
  const ebml = element(head, 0);
  if (!ebml || ebml.id !== EBML_ID || ebml.size === null) return null;
  const segment = element(head, ebml.dataStart + ebml.size);
  if (!segment || segment.id !== SEGMENT_ID || segment.size === null) return null;
  return segment.dataStart + segment.size;
}
