export interface ProgressCounts {
  done: number;
  total: number;
  imported: number;
  skipped: number;
  invalid: number;
  /** Catalogue bytes read by this run (for MB/s). */
  bytes?: number;
}

export interface Progress {
  update(counts: ProgressCounts): void;
  finish(counts: ProgressCounts): void;
}

export interface ProgressOptions {
  /** Books already done before this run (a resumed import): not counted in the rate. */
  startDone?: number;
  /** Milliseconds clock (tests). */
  now?: () => number;
  /** Plain lines: at least one this often, however slowly the import moves (ms). */
  lineIntervalMs?: number;
}

const BAR_WIDTH = 20;

function summary(c: ProgressCounts): string {
  return `imported ${c.imported}, skipped ${c.skipped}, invalid ${c.invalid}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * A redrawn bar on a terminal; on a pipe or file, one plain line per step of about 10% and at
 * least one every 30 s (so logs of a 40,000-book import stay short, yet show it is alive). Both
 * show the rate of this run (books/s, MB/s) and the time left at that rate.
 */
export function createProgress(stream: NodeJS.WritableStream, isTTY: boolean, label: string, options: ProgressOptions = {}): Progress {
  const now = options.now ?? Date.now;
  const started = now();
  const startDone = options.startDone ?? 0;
  const rate = (c: ProgressCounts, final: boolean): string => {
    const seconds = (now() - started) / 1000;
    const books = c.done - startDone;
    // Under half a second (or nothing done yet) a rate would be noise.
    if (seconds < 0.5 || books <= 0) return final ? `${formatDuration(seconds)}` : 'ETA --';
    const perSecond = books / seconds;
    const mb = ((c.bytes ?? 0) / 1e6 / seconds).toFixed(1);
    const tail = final ? `in ${formatDuration(seconds)}` : `ETA ${formatDuration((c.total - c.done) / perSecond)}`;
    return `${perSecond.toFixed(perSecond < 10 ? 1 : 0)} books/s, ${mb} MB/s, ${tail}`;
  };

  if (isTTY) {
    let lastDraw = -Infinity;
    const draw = (c: ProgressCounts, final: boolean) => {
      const ratio = c.total === 0 ? 1 : Math.min(1, c.done / c.total);
      const filled = Math.round(ratio * BAR_WIDTH);
      const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
      let line = `${label} [${bar}] ${c.done}/${c.total} ${String(Math.floor(ratio * 100)).padStart(3)}%  ${rate(c, final)}  (${summary(c)})`;
      // A line longer than the terminal wraps, and the next redraw would then leave its start behind.
      const columns = (stream as { columns?: number }).columns;
      if (columns && [...line].length >= columns) line = [...line].slice(0, columns - 1).join('');
      stream.write(`\r\x1b[2K${line}`);
    };
    return {
      update(c) {
        const t = now();
        if (t - lastDraw < 100 && c.done < c.total) return; // at most 10 redraws a second
        lastDraw = t;
        draw(c, false);
      },
      finish(c) {
        draw(c, true);
        stream.write('\n');
      },
    };
  }
  const interval = options.lineIntervalMs ?? 30_000;
  let nextStep = 0;
  let lastLine = started;
  const line = (c: ProgressCounts, final: boolean) => {
    const percent = c.total === 0 ? 100 : Math.floor((c.done / c.total) * 100);
    stream.write(`${label}: ${c.done}/${c.total} (${final ? 100 : percent}%) ${summary(c)}; ${rate(c, final)}\n`);
  };
  return {
    update(c) {
      const percent = c.total === 0 ? 100 : Math.floor((c.done / c.total) * 100);
      const t = now();
      if (c.done === c.total || (percent < nextStep && t - lastLine < interval)) return;
      nextStep = Math.floor(percent / 10) * 10 + 10;
      lastLine = t;
      line(c, false);
    },
    finish(c) {
      line(c, true);
    },
  };
}
