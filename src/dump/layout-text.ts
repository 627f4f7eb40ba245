/**
 * Text helpers of the pahole-style layout printer: the printing settings (pahole's
 * conf_fprintf fields that matter for `-C`), and printf's padding rules as pahole uses them
 * ("%-*s", "%*s" of one space, "%*u"; a negative width left-justifies).
 */

export interface Conf {
  indent: number;
  typeSpacing: number;
  nameSpacing: number;
  prefix: string | null;
  suffix: string | null;
  emitStats: boolean;
  suppressOffsetComment: boolean;
  relOffset: boolean;
  baseOffset: number;
  cacheline: { v: number } | null;
  lastMember: boolean;
  firstMember: boolean;
  unionMember: boolean;
}

export const TABS = '\t'.repeat(16);
export const NAME_BUF = 127;

export function tabs(n: number): string {
  return TABS.slice(0, Math.max(0, Math.min(n, 16)));
}
/** printf "%-*s". */
export function padRight(s: string, width: number): string {
  const w = Math.abs(width);
  return s.length >= w ? s : s + ' '.repeat(w - s.length);
}
/** printf "%*s" of " ". */
export function gap(width: number): string {
  const w = Math.abs(width);
  return w <= 1 ? ' ' : ' '.repeat(w);
}
/** printf "%*u". */
export function num(n: number, width: number): string {
  const s = String(n);
  if (width < 0) return padRight(s, -width);
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}
export function plural(n: number, word: string): string {
  return `${n} ${word}${n !== 1 ? 's' : ''}`;
}
export function trunc(s: string): string {
  return s.length > NAME_BUF ? s.slice(0, NAME_BUF) : s;
}
