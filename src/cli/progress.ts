/**
 * Progress of a long `btfkit check` / `btfkit distill` run, on stderr.
 *
 * Approach: the text is made by pure functions (bar, rate, duration, the line itself) so it can
 * be tested without a terminal; ProgressReporter only decides when to write. On a terminal it
 * redraws one line in place (`\r`, then erase to end of line), at most ten times a second and
 * cut to the terminal's width. Without one (CI logs, pipes) it writes plain lines: one each
 * time another tenth of the work is done, and one every 5 seconds in between, so a log shows
 * both steady progress and a run that hangs; runs shorter than 2 seconds print only the final
 * line.
 */

export interface ProgressState {
  done: number;
  total: number;
  /** Failing results per kernel (name, count), shown when any. */
  failing: readonly { name: string; count: number }[];
  errors: number;
  elapsedMs: number;
}

/** "0.4s", "12s", "3m05s", "1h02m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s - m * 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m - h * 60).padStart(2, '0')}m`;
}

/** Items per second, with a sensible number of digits; '' before anything was measured. */
export function formatRate(done: number, elapsedMs: number, unit = 'modules'): string {
  if (done <= 0 || elapsedMs <= 0) return '';
  const r = (done * 1000) / elapsedMs;
  const v = r >= 100 ? Math.round(r).toString() : r >= 10 ? r.toFixed(1) : r.toFixed(2);
  return `${v} ${unit}/s`;
}

/** A bar of `width` cells for fraction `frac` (0…1), e.g. "█████·····". */
export function progressBar(frac: number, width: number, full = '█', empty = '·'): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(frac) ? frac : 0));
  const n = Math.round(f * width);
  return full.repeat(n) + empty.repeat(Math.max(0, width - n));
}

/** Whole percent, never 100 before the end. */
export function percent(done: number, total: number): number {
  if (total <= 0) return 100;
  const p = Math.floor((done * 100) / total);
  return done < total ? Math.min(p, 99) : 100;
}

/** Estimated time left, or '' when unknown. */
export function eta(done: number, total: number, elapsedMs: number): string {
  if (done <= 0 || done >= total || elapsedMs <= 0) return '';
  return formatDuration((elapsedMs / done) * (total - done));
}

function tail(st: ProgressState): string[] {
  const parts: string[] = [];
  const fails = st.failing.filter((f) => f.count > 0);
  if (fails.length) parts.push(`failing: ${fails.map((f) => `${f.name} ${f.count}`).join(', ')}`);
  if (st.errors) parts.push(`${st.errors} error${st.errors === 1 ? '' : 's'}`);
  return parts;
}

/** The one-line terminal form: "check [████····] 1234/4022  30%  1520 modules/s  ETA 2s  failing: …". */
export function ttyLine(label: string, st: ProgressState, columns = 80): string {
  columns = termColumns(columns);
  const pct = percent(st.done, st.total);
  const rate = formatRate(st.done, st.elapsedMs);
  const left = eta(st.done, st.total, st.elapsedMs);
  const parts = [`${st.done}/${st.total}`, `${String(pct).padStart(3)}%`];
  if (rate) parts.push(rate);
  if (left) parts.push(`ETA ${left}`);
  parts.push(...tail(st));
  const barWidth = columns >= 100 ? 24 : columns >= 60 ? 16 : 8;
  const line = `${label} [${progressBar(st.total ? st.done / st.total : 1, barWidth)}] ${parts.join('  ')}`;
  return fit(line, columns);
}

/** A terminal's width: its columns when known and positive (a 0-column pty reports 0), else 80. */
export function termColumns(columns: number | undefined): number {
  return columns !== undefined && Number.isFinite(columns) && columns > 0 ? columns : 80;
}

/** Cuts a line to `columns - 1` characters (the last column would wrap on some terminals). */
export function fit(line: string, columns: number): string {
  columns = termColumns(columns);
  const max = Math.max(10, columns - 1);
  const chars = [...line];
  return chars.length <= max ? line : chars.slice(0, max - 1).join('') + '…';
}

/** The plain (log) form: "check: 1234/4022 modules (30%), 1520 modules/s, 0.8s elapsed, failing: …". */
export function plainLine(label: string, st: ProgressState): string {
  const parts = [`${label}: ${st.done}/${st.total} modules (${percent(st.done, st.total)}%)`];
  const rate = formatRate(st.done, st.elapsedMs);
  if (rate) parts.push(rate);
  parts.push(`${formatDuration(st.elapsedMs)} elapsed`);
  parts.push(...tail(st));
  return parts.join(', ');
}

/**
 * When to write a plain line: another tenth done, or `intervalMs` since the last line; never
 * in the first `quietMs` of a run (a short run needs no progress).
 */
export function plainDue(last: { ms: number; decile: number }, done: number, total: number, nowMs: number, startMs = 0, intervalMs = 5000, quietMs = 2000): boolean {
  if (nowMs - startMs < quietMs) return false;
  const decile = total > 0 ? Math.floor((done * 10) / total) : 10;
  return decile > last.decile || nowMs - last.ms >= intervalMs;
}

/**
 * The final line: "checked 4022 modules against 2 kernels in 1.9s (2 workers, 2300 modules/s)";
 * when loading the kernels took a noticeable part (`setupMs` ≥ 0.5 s, e.g. unpacking a vmlinuz),
 * it is shown and the rate is over the rest.
 */
export function finalLine(verb: string, modules: number, kernels: number, elapsedMs: number, workers: number, setupMs = 0): string {
  const against = kernels ? ` against ${kernels} kernel${kernels === 1 ? '' : 's'}` : '';
  const how = workers > 0 ? `${workers} worker${workers === 1 ? '' : 's'}` : 'in-process';
  const slowSetup = setupMs >= 500 && setupMs < elapsedMs;
  const rate = formatRate(modules, slowSetup ? elapsedMs - setupMs : elapsedMs);
  const setup = slowSetup ? `, ${formatDuration(setupMs)} loading kernels` : '';
  return `${verb} ${modules} module${modules === 1 ? '' : 's'}${against} in ${formatDuration(elapsedMs)} (${how}${setup}${rate ? `, ${rate}` : ''})`;
}

export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressReporter {
  private start: number;
  private lastDraw = -Infinity;
  private last = { ms: 0, decile: 0 };
  private drawn = false;
  private state: ProgressState;

  constructor(
    private readonly sink: ProgressSink,
    private readonly label: string,
    total: number,
    kernels: readonly string[],
    private readonly now: () => number = () => performance.now(),
  ) {
    this.start = now();
    this.last.ms = this.start;
    this.state = { done: 0, total, failing: kernels.map((name) => ({ name, count: 0 })), errors: 0, elapsedMs: 0 };
  }

  /** On a terminal, says what happens before the first module (e.g. "loading 3 kernels…"). */
  note(text: string): void {
    if (!this.sink.isTTY) return;
    this.sink.write(`\r${fit(`${this.label}: ${text}`, termColumns(this.sink.columns))}\x1b[K`);
    this.drawn = true;
  }

  /** Restarts the clock (once the kernels are loaded: the rate is about modules). */
  begin(): void {
    this.start = this.now();
    this.last = { ms: this.start, decile: 0 };
  }

  /** One more item done, with the kernels it fails on and whether it was an error. */
  update(failingKernels: readonly string[], error: boolean): void {
    const st = this.state;
    st.done++;
    for (const k of failingKernels) {
      const f = st.failing.find((x) => x.name === k);
      if (f) (f as { count: number }).count++;
    }
    if (error) st.errors++;
    const t = this.now();
    st.elapsedMs = t - this.start;
    if (this.sink.isTTY) {
      if (t - this.lastDraw >= 100 || st.done === st.total) {
        this.lastDraw = t;
        this.sink.write(`\r${ttyLine(this.label, st, termColumns(this.sink.columns))}\x1b[K`);
        this.drawn = true;
      }
    } else if (st.done < st.total && plainDue(this.last, st.done, st.total, t, this.start)) {
      this.last = { ms: t, decile: Math.floor((st.done * 10) / Math.max(1, st.total)) };
      this.sink.write(plainLine(this.label, st) + '\n');
    }
  }

  /** Ends the progress display with `line` (on a terminal, replacing the bar). */
  finish(line: string): void {
    if (this.sink.isTTY && this.drawn) this.sink.write(`\r\x1b[K`);
    this.sink.write(line + '\n');
  }

  get elapsedMs(): number {
    return this.now() - this.start;
  }
}
