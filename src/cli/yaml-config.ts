/**
 * A YAML (or JSON) configuration file read against a zod schema, with errors that name the field and,
 * where the YAML parser has it, its line and column: `health.yaml:7:5: sources[1].port: expected …`.
 */
import type * as Yaml from 'yaml';
import type * as Zod from 'zod';
import { FailsmallError, type ErrorCode } from '../core/errors.js';
import { importPeer } from '../core/optional-peer.js';

// yaml is an optional peer, loaded when this module is first imported (FS_ERR_MISSING_PEER names it).
const { LineCounter, parseDocument } = await importPeer<typeof Yaml>('yaml', 'the config reader of failsmall');

/** One problem of a configuration file. */
export interface ConfigIssue {
  /** The field's path, `sources[1].port`, or `(root)`. */
  readonly field: string;
  readonly message: string;
  readonly line?: number;
  readonly col?: number;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out || '(root)';
}

/**
 * Parses `text` as YAML (JSON is YAML) and validates it with `schema`. Throws a {@link FailsmallError}
 * with `code`, a message naming the first bad field (`source:line:col: field: message`) and
 * `details: { source, field, line, col, issues }` listing every problem.
 */
export function parseConfig<S extends Zod.ZodType>(
  text: string,
  schema: S,
  source: string,
  code: ErrorCode,
): Zod.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new FailsmallError(code, `${source}:${pos.line}:${pos.col}: not valid YAML: ${e.message.split('\n')[0]}`, {
      details: { source, field: '(root)', line: pos.line, col: pos.col, issues: [] },
    });
  }
  const parsed = schema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (parsed.success) return parsed.data;
  const issues: ConfigIssue[] = parsed.error.issues.map((issue) => {
    let path = issue.path as (string | number)[];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
      path = [...path, issue.keys[0]!]; // point at the unknown field itself
      message = 'unknown field; check its spelling and nesting';
    }
    // The deepest node of the path present in the text: the field, or its parent when it is missing.
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range !== undefined) {
        const { line, col } = lineCounter.linePos(range[0]);
        return { field: formatPath(path), message, line, col };
      }
    }
    return { field: formatPath(path), message };
  });
  const first = issues[0]!;
  const where = first.line === undefined ? source : `${source}:${first.line}:${first.col}`;
  const more =
    issues.length > 1
      ? ` (and ${issues.length - 1} more: ${issues
          .slice(1, 4)
          .map((i) => i.field)
          .join(', ')})`
      : '';
  throw new FailsmallError(code, `${where}: ${first.field}: ${first.message}${more}`, {
    details: { source, field: first.field, line: first.line, col: first.col, issues },
  });
}
