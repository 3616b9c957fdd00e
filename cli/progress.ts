/**
 * Progress on a terminal: a bar on stderr when it is a TTY and the output is not JSON;
 * otherwise nothing, so pipes and `--json` stay clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number, label: string, unit?: string): void;
  update(value: number, detail?: string): void;
  stop(): void;
}

const silent: Progress = { start() {}, update() {}, stop() {} };

export function progressFor(json: boolean): Progress {
  if (json || !process.stderr.isTTY) return silent;
  let bar: cliProgress.SingleBar | null = null;
  return {
    start(total, label, unit = '') {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        { format: `${label.padEnd(28).slice(0, 28)} |{bar}| {percentage}% {value}/{total}${unit} {detail}`, stream: process.stderr, hideCursor: true, etaBuffer: 50 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { detail: '' });
    },
    update(value, detail = '') {
      bar?.update(value, { detail });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
