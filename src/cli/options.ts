/**
 * btfkit's one option grammar, on top of node:util parseArgs (bpftool-like):
 * - `-j` / `--json` on every command that reports: JSON to stdout; `--json=FILE` writes it to
 *   FILE (a value is taken only after '=': `--json report` is the option and a MODULE named
 *   'report', whatever the name ends in);
 * - every option error in btfkit's own words, with a "did you mean" for a mistyped option or
 *   command and the command's usage line: unknown option, missing value, a value given to a
 *   switch. The caller prints it and exits 2.
 */

import { parseArgs } from 'node:util';
import { UsageError, type Command, type Values } from './command.js';

/** Edit distance (insert, delete, substitute, swap of neighbours), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate (a prefix of it, or within a third of its length in edits), or null. */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    if (word.length >= 2 && c.startsWith(word)) return c;
    const dist = editDistance(word, c);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return best !== null && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}

/** The first line of a command's usage ("Usage: btfkit check MODULE|DIR..."). */
export function usageLine(cmd: Command): string {
  return cmd.usage.split('\n')[0]!;
}

/** A usage error that shows the command's usage line and where to read more. */
export function commandUsageError(cmd: Command, message: string): UsageError {
  return new UsageError(`${cmd.name}: ${message}\n${usageLine(cmd)}\nSee 'btfkit help ${cmd.name}'.`);
}

/** `-j`/`--json` without '=' mean JSON to stdout ('-'). */
export function jsonPreprocess(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    out.push(a === '--json' || a === '-j' ? '--json=-' : a);
  }
  return out;
}

function optionNames(cmd: Command): string[] {
  const names: string[] = [];
  for (const [long, spec] of Object.entries(cmd.options)) {
    names.push(`--${long}`);
    if (spec.short) names.push(`-${spec.short}`);
  }
  return names;
}

/** Parses a command's arguments; every mistake becomes a UsageError in btfkit's words. */
export function parseCommandArgs(cmd: Command, rest: string[]): { positionals: string[]; values: Values } {
  let args = cmd.options.json ? jsonPreprocess(rest) : rest;
  if (cmd.preprocess) args = cmd.preprocess(args);
  let parsed;
  try {
    parsed = parseArgs({ args, options: cmd.options, allowPositionals: true, strict: true });
  } catch (e) {
    throw commandUsageError(cmd, describeParseError(cmd, e as Error & { code?: string }));
  }
  for (const [k, v] of Object.entries(parsed.values)) {
    if (v === '') throw commandUsageError(cmd, k === 'json' ? '--json= needs a FILE (-j alone prints JSON on stdout)' : `option --${k} needs a value`);
  }
  return { positionals: parsed.positionals, values: parsed.values as Values };
}

function optionOf(message: string): string {
  const m = /^(?:Unknown option|Option) '([^']+)'/i.exec(message);
  if (!m) return '?';
  // "-k, --kernel <value>" -> "--kernel"
  const parts = m[1]!.replace(/ <value>$/, '').split(', ');
  return parts[parts.length - 1]!;
}

function describeParseError(cmd: Command, e: Error & { code?: string }): string {
  const opt = optionOf(e.message);
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const bare = opt.replace(/=.*$/, '');
      const guess = didYouMean(bare, optionNames(cmd).filter((n) => n.startsWith('--')));
      return `unknown option '${bare}'${guess ? ` (did you mean ${guess}?)` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(e.message)) return `option ${opt} needs a value`;
      if (/does not take an argument/.test(e.message)) return `option ${opt} takes no value`;
      return `bad value for option ${opt}`;
    default:
      return `bad arguments (${e.message.split('\n')[0]!.replace(/\.\s.*$/, '')})`;
  }
}
