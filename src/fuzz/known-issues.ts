/**
 * Open problems found by fuzzing in code owned elsewhere. While a target is listed here its
 * CI fuzz test and its stored regressions are reported as TODO (they run, and a fix shows up
 * as passing) instead of failing the build. Remove the entry once the owner has fixed it.
 */

export const OPEN_TARGETS: Record<string, string> = {};
