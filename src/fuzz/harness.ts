/**
 * The fuzz harness: runs one input through a target and enforces the invariants that hold for
 * every entry point, whatever the bytes:
 *
 *  - only BtfkitError escapes (a RangeError, TypeError or stack overflow is a violation);
 *  - every input finishes in under a second (measured per input);
 *  - memory does not follow a length field that the input claims but does not contain:
 *    the growth of `process.memoryUsage().arrayBuffers` over one input stays under a bound
 *    (64 MiB plus 64 bytes per input byte);
 * and keeps failing inputs as regression files: test/regress/<target>/<hash>.bin with a
 * <hash>.json describing the context, the violation and the mutations that produced it.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BtfkitError } from '../errors.js';
import { ROOT } from './corpus.js';

export type ViolationKind = 'escape' | 'slow' | 'memory' | 'roundtrip' | 'oracle' | 'dump' | 'distill-relocate' | 'rewrite' | 'invariant';

/** An invariant was broken (as opposed to the input being rejected with a BtfkitError). */
export class Violation extends Error {
  constructor(
    readonly kind: ViolationKind,
    message: string,
  ) {
    super(`${kind}: ${message}`);
    this.name = 'Violation';
  }
}

export interface TargetInput {
  /** The seed context (which module / base / fixture the bytes relate to). */
  ctx: string;
  bytes: Uint8Array;
}

/** Counters a target updates (accepted / rejected / oracle agreement, ...). */
export type Stats = Record<string, number>;

export function bump(stats: Stats, key: string, n = 1): void {
  stats[key] = (stats[key] ?? 0) + n;
}

/** Runs `fn`; a BtfkitError gives undefined, anything else thrown is a Violation. */
export function allow<T>(what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BtfkitError) return undefined;
    if (e instanceof Violation) throw e;
    throw new Violation('escape', `${what}: ${describeError(e)}`);
  }
}

/** Like allow, but returns the BtfkitError too. */
export function attempt<T>(what: string, fn: () => T): { ok: true; value: T } | { ok: false; error: BtfkitError } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof BtfkitError) return { ok: false, error: e };
    if (e instanceof Violation) throw e;
    throw new Violation('escape', `${what}: ${describeError(e)}`);
  }
}

/** Runs `fn`, which must succeed: any error (BtfkitError too) is a Violation of `kind`. */
export function must<T>(kind: ViolationKind, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Violation) throw e;
    throw new Violation(kind, `${what}: ${describeError(e)}`);
  }
}

export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const top = (e.stack ?? '').split('\n').slice(1, 3).map((s) => s.trim()).join(' | ');
    return `${e.name}: ${e.message}${top ? ` (${top})` : ''}`;
  }
  return String(e);
}

export interface Limits {
  /**
   * Per-input wall-clock limit in ms. In tests a hang guard only (DEFAULT_LIMITS: 30 s, a busy
   * machine must not fail a test); the long exploratory runs (`npm run fuzz`) use
   * SLOWNESS_LIMITS (1 s) to find inputs that are slow, and store them as findings.
   */
  timeMs: number;
  /** arrayBuffers growth allowed: fixed part (bytes). */
  memFixed: number;
  /** arrayBuffers growth allowed per input byte. */
  memPerByte: number;
}

export const DEFAULT_LIMITS: Limits = { timeMs: 30_000, memFixed: 64 * 1024 * 1024, memPerByte: 64 };
export const SLOWNESS_LIMITS: Limits = { ...DEFAULT_LIMITS, timeMs: 1000 };

export interface Target {
  name: string;
  /** One line: what is exercised. */
  about: string;
  check(input: TargetInput, stats: Stats): void;
}

let sinceGc = 0;
let gcFn: (() => void) | null | undefined;

function maybeGc(): void {
  if (gcFn === undefined) {
    gcFn = typeof (globalThis as { gc?: () => void }).gc === 'function' ? (globalThis as unknown as { gc: () => void }).gc : null;
  }
  if (gcFn && ++sinceGc >= 64) {
    sinceGc = 0;
    gcFn();
  }
}

/** Runs one input with the per-input invariants; throws Violation. */
export function runInput(target: Target, input: TargetInput, stats: Stats, limits: Limits = DEFAULT_LIMITS): void {
  maybeGc();
  const m0 = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let peak = 0;
  try {
    target.check(input, stats);
  } catch (e) {
    if (e instanceof Violation) throw e;
    if (!(e instanceof BtfkitError)) throw new Violation('escape', describeError(e));
  } finally {
    peak = process.memoryUsage().arrayBuffers - m0;
  }
  const dt = performance.now() - t0;
  if (dt > limits.timeMs) throw new Violation('slow', `${target.name} took ${dt.toFixed(0)} ms (limit ${limits.timeMs} ms) on ${input.bytes.length} bytes`);
  const bound = limits.memFixed + limits.memPerByte * input.bytes.length;
  if (peak > bound) throw new Violation('memory', `${target.name}: arrayBuffers grew by ${(peak / 1048576).toFixed(1)} MiB on a ${input.bytes.length}-byte input (bound ${(bound / 1048576).toFixed(1)} MiB)`);
  bump(stats, 'inputs');
}

// ------------------------------------------------------------------ regressions

export const REGRESS_DIR = join(ROOT, 'test', 'regress');

export interface RegressionMeta {
  target: string;
  ctx: string;
  violation: string;
  mutations?: unknown;
  /** Known open bug in another module: the replay is reported as TODO, not as a failure. */
  open?: string;
}

export function hashOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** Stores a failing input (once per content) and returns its path. */
export function saveRegression(target: string, input: TargetInput, violation: string, mutations?: unknown): string {
  const dir = join(REGRESS_DIR, target);
  mkdirSync(dir, { recursive: true });
  const h = hashOf(input.bytes);
  const bin = join(dir, `${h}.bin`);
  if (!existsSync(bin)) {
    writeFileSync(bin, input.bytes);
    const meta: RegressionMeta = { target, ctx: input.ctx, violation: violation.slice(0, 2000), mutations };
    writeFileSync(join(dir, `${h}.json`), `${JSON.stringify(meta, null, 1)}\n`);
  }
  return bin;
}

export interface Regression {
  file: string;
  meta: RegressionMeta;
  input: TargetInput;
}

/** Every stored regression input, for every target (or one). */
export function loadRegressions(target?: string): Regression[] {
  const out: Regression[] = [];
  if (!existsSync(REGRESS_DIR)) return out;
  for (const t of readdirSync(REGRESS_DIR).sort()) {
    if (target && t !== target) continue;
    const dir = join(REGRESS_DIR, t);
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith('.bin')) continue;
      const file = join(dir, f);
      const metaFile = file.replace(/\.bin$/, '.json');
      const meta: RegressionMeta = existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, 'utf8')) : { target: t, ctx: '', violation: '' };
      const b = readFileSync(file);
      out.push({ file, meta: { ...meta, target: t }, input: { ctx: meta.ctx, bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) } });
    }
  }
  return out;
}
