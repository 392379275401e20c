/** A one-line progress bar on stderr (a plain line every 10 % when stderr is not a terminal). */
export class ProgressBar {
  private lastPlain = -10;
  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(percent: number, detail = ''): void {
    const p = Math.max(0, Math.min(100, percent));
    if (this.stream.isTTY) {
      const width = 30;
      const filled = Math.round((p / 100) * width);
      this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.toFixed(0).padStart(3)}% ${detail}`.padEnd(100).slice(0, 100));
    } else if (p - this.lastPlain >= 10 || (p === 100 && this.lastPlain !== 100)) {
      this.lastPlain = p;
      this.stream.write(`${this.label} ${p.toFixed(0)}% ${detail}\n`);
    }
  }

  done(detail = ''): void {
    this.update(100, detail);
    if (this.stream.isTTY) this.stream.write('\n');
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
