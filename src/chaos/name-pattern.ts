/**
 * Name patterns of fault rules: case-insensitive globs over a whole domain name, where `*` matches any
 * run of characters (dots included, so `dynamodb.*` and `*.amazonaws.com` both work) and `?` exactly
 * one character. A trailing dot on either side is ignored. Matching is linear-time backtracking over at
 * most 253 characters: no regular expression, no catastrophic cases.
 */

/** Normalises a name or pattern for matching: trimmed, lower-case, no trailing dot. */
export function normalizePattern(pattern: string): string {
  const lower = pattern.trim().toLowerCase();
  return lower.endsWith('.') && lower.length > 1 ? lower.slice(0, -1) : lower;
}

/**
 * True when `name` matches `pattern` (both already normalised with {@link normalizePattern}).
 *
 * @example
 * matchName('dynamodb.*', 'dynamodb.us-east-1.amazonaws.com'); // true
 * matchName('s?.example.com', 's3.example.com'); // true
 * matchName('s?.example.com', 's30.example.com'); // false
 */
export function matchName(pattern: string, name: string): boolean {
  return matchSteps(pattern, name) > 0;
}

/**
 * The work {@link matchName} does, as a count of character steps: positive when `name` matches,
 * negative when not. Classic glob matching with a single backtrack point for the last `*`, so the
 * count is at most (|pattern| + 1) · (|name| + 1) + 1, whatever the input (tests assert the bound).
 */
export function matchSteps(pattern: string, name: string): number {
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  let steps = 1;
  while (n < name.length) {
    steps++;
    const pc = pattern.charCodeAt(p);
    if (p < pattern.length && (pc === 63 /* ? */ || pc === name.charCodeAt(n))) {
      p++;
      n++;
    } else if (p < pattern.length && pc === 42 /* * */) {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else {
      return -steps;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) {
    p++;
    steps++;
  }
  return p === pattern.length ? steps : -steps;
}

/** True when `pattern` contains no wildcard (an exact name). */
export function isExactPattern(pattern: string): boolean {
  return !pattern.includes('*') && !pattern.includes('?');
}
