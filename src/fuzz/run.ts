/**
 * Drives one fuzz target with fast-check: every seed unmutated first, then random mutation
 * lists applied to random seeds, for a number of runs or a time budget. A failure is shrunk
 * by fast-check (fewer, simpler mutations), stored under test/regress/<target>/ and returned.
 */

import fc from 'fast-check';
import { applyMutations, describeMutations, mutationsArb, type Mutation } from './mutate.js';
import { runInput, saveRegression, Violation, describeError, DEFAULT_LIMITS, type Limits, type Stats, type TargetInput, type ViolationKind } from './harness.js';
import { TARGETS } from './targets.js';
import { IsolatedRunner } from './isolate.js';

export interface FuzzOptions {
  numRuns: number;
  /** Stop after this many ms (the run is then a pass if nothing failed). */
  timeLimitMs: number;
  seed?: number;
  /** Store failing inputs under test/regress (default true). */
  save?: boolean;
  limits?: Limits;
  /** Hard deadline per input for isolated targets (default 5000 ms). */
  hardMs?: number;
}

export interface FuzzFailure {
  target: string;
  ctx: string;
  message: string;
  mutations: Mutation[] | null;
  file: string | null;
  seed: number | undefined;
}

export interface FuzzReport {
  target: string;
  runs: number;
  ms: number;
  stats: Stats;
  failure: FuzzFailure | null;
  seed: number | undefined;
}

export function fuzzTarget(name: string, opts: FuzzOptions): FuzzReport {
  const spec = TARGETS[name];
  if (!spec) throw new Error(`unknown fuzz target ${name}`);
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const seeds = spec.seeds();
  const stats: Stats = {};
  const t0 = performance.now();
  const fail = (ctx: string, bytes: Uint8Array, message: string, muts: Mutation[] | null): FuzzReport => {
    const file = opts.save === false ? null : saveRegression(name, { ctx, bytes }, message, muts ?? undefined);
    return { target: name, runs: stats.inputs ?? 0, ms: performance.now() - t0, stats, seed: opts.seed, failure: { target: name, ctx, message, mutations: muts, file, seed: opts.seed } };
  };
  if (seeds.length === 0) return { target: name, runs: 0, ms: 0, stats, failure: null, seed: opts.seed };
  const isolated = spec.isolated ? new IsolatedRunner(name, opts.hardMs ?? 5000) : null;
  const one = (input: TargetInput): void => {
    if (!isolated) return runInput(spec.target, input, stats, limits);
    const r = isolated.run(input);
    for (const [k, v] of Object.entries(r.stats)) stats[k] = (stats[k] ?? 0) + v;
    if (!r.ok) {
      const m = /^([\w-]+): ([^]*)$/.exec(r.message!);
      throw new Violation((m?.[1] ?? 'escape') as ViolationKind, m?.[2] ?? r.message!);
    }
  };
  try {
    for (const s of seeds) {
      try {
        one(s);
      } catch (e) {
        return fail(s.ctx, s.bytes, e instanceof Violation ? e.message : describeError(e), null);
      }
    }
    const prop = fc.property(fc.nat(seeds.length - 1), mutationsArb(spec.mutation), (i, muts) => {
      const s = seeds[i]!;
      one({ ctx: s.ctx, bytes: applyMutations(s.bytes, muts) });
    });
    return check(prop);
  } finally {
    isolated?.stop();
  }

  function check(prop: fc.IPropertyWithHooks<[number, Mutation[]]>): FuzzReport {
  const params: fc.Parameters<[number, Mutation[]]> = {
    numRuns: opts.numRuns,
    interruptAfterTimeLimit: Math.max(1, opts.timeLimitMs - (performance.now() - t0)),
    markInterruptAsFailure: false,
  };
  if (opts.seed !== undefined) params.seed = opts.seed;
  const res = fc.check(prop, params);
  if (res.failed && res.counterexample) {
    const [i, muts] = res.counterexample;
    const s = seeds[i]!;
    const bytes = applyMutations(s.bytes, muts);
    const err = res.errorInstance;
    const message = err instanceof Violation ? err.message : describeError(err);
    return fail(s.ctx, bytes, `${message}\n  mutations: ${describeMutations(muts)}`, muts);
  }
  return { target: name, runs: stats.inputs ?? 0, ms: performance.now() - t0, stats, failure: null, seed: res.seed };
  }
}
