export interface ProgressCounts {
  done: number;
  total: number;
  imported: number;
  skipped: number;
  invalid: number;
}

export interface Progress {
  update(counts: ProgressCounts): void;
  finish(counts: ProgressCounts): void;
}

const BAR_WIDTH = 30;

function summary(c: ProgressCounts): string {
  return `imported ${c.imported}, skipped ${c.skipped}, invalid ${c.invalid}`;
}

/**
 * A redrawn bar on a terminal; on a pipe or file, one plain line per step of about 10%
 * (so logs of a 40,000-book import stay short).
 */
export function createProgress(stream: NodeJS.WritableStream, isTTY: boolean, label: string): Progress {
  if (isTTY) {
    let lastDraw = 0;
    const draw = (c: ProgressCounts) => {
      const ratio = c.total === 0 ? 1 : Math.min(1, c.done / c.total);
      const filled = Math.round(ratio * BAR_WIDTH);
      const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
      stream.write(`\r\x1b[2K${label} [${bar}] ${c.done}/${c.total} ${String(Math.floor(ratio * 100)).padStart(3)}%  ${summary(c)}`);
    };
    return {
      update(c) {
        const now = Date.now();
        if (now - lastDraw < 100 && c.done < c.total) return; // at most 10 redraws a second
        lastDraw = now;
        draw(c);
      },
      finish(c) {
        draw(c);
        stream.write('\n');
      },
    };
  }
  let nextStep = 0;
  return {
    update(c) {
      const percent = c.total === 0 ? 100 : Math.floor((c.done / c.total) * 100);
      if (percent < nextStep || c.done === c.total) return;
      nextStep = Math.floor(percent / 10) * 10 + 10;
      stream.write(`${label}: ${c.done}/${c.total} (${percent}%) ${summary(c)}\n`);
    },
    finish(c) {
      stream.write(`${label}: ${c.done}/${c.total} (100%) ${summary(c)}\n`);
    },
  };
}
