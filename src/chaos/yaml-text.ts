/**
 * THE reader of failsmall's YAML (and JSON) files: zone files, lab scenarios, drill experiments and
 * the CLI's configuration files. It parses with line numbers, refuses a syntax error naming
 * `source:line:col`, and turns a zod schema's issues into `source:line:col: field: message` with
 * `details: { source, field, line, col, issues }`. yaml (and zod, for the schema) are optional peers:
 * a caller loads yaml with {@link loadYaml} on first use and passes the module in, so reading stays
 * synchronous once it is loaded.
 */
import { readFileSync } from 'node:fs';
import type * as Yaml from 'yaml';
import type * as Zod from 'zod';
import { FailsmallError, type ErrorCode } from '../core/errors.js';
import { importPeer } from '../core/optional-peer.js';

/** The yaml package, loaded once on first use (`FS_ERR_MISSING_PEER` naming it, for `feature`). */
export function loadYaml(feature: string): Promise<typeof Yaml> {
  return importPeer<typeof Yaml>('yaml', feature);
}

/**
 * The text of the file at `path` (UTF-8), or `code` with `${path}: cannot read the ${what}: reason`,
 * the cause attached and `details: { source: path, field }`.
 *
 * @example
 * const text = readTextFile('drill.yaml', 'FS_ERR_DRILL_INVALID', 'experiment file');
 */
export function readTextFile(path: string, code: ErrorCode, what: string, field = '(root)'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new FailsmallError(code, `${path}: cannot read the ${what}: ${(error as Error).message}`, {
      cause: error,
      details: { source: path, field },
    });
  }
}

/** One problem of a file: the field's path (`sources[1].port`, or `(root)`), where it is when known. */
export interface YamlIssue {
  readonly field: string;
  readonly message: string;
  readonly line?: number;
  readonly col?: number;
}

/** `['zones', 0, 'records']` as `zones[0].records` (empty for the root). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** The line and column of the node at `path`, or of its nearest ancestor that exists. */
export function locate(
  doc: Yaml.Document,
  lineCounter: Yaml.LineCounter,
  path: readonly (string | number)[],
): { line: number; col: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] | null } | null | undefined)?.range;
    if (range !== undefined && range !== null) return lineCounter.linePos(range[0]);
  }
  return undefined;
}

/** A parsed file: its data, and where a path of it stands in the text. */
export interface YamlText {
  readonly data: unknown;
  readonly doc: Yaml.Document;
  locate(path: readonly (string | number)[]): { line: number; col: number } | undefined;
}

/**
 * Parses `text` (YAML 1.2; JSON is YAML) with unique keys and at most 100 aliases. A syntax error
 * throws `code` with `source:line:col: ${syntaxLabel}message` (`details: { source, field: '(root)',
 * line, col, issues: [] }`).
 */
export function readYamlText(
  yaml: typeof Yaml,
  text: string,
  source: string,
  code: ErrorCode,
  syntaxLabel = 'not valid YAML: ',
): YamlText {
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const pos = syntax.linePos?.[0] ?? lineCounter.linePos(syntax.pos[0]);
    throw new FailsmallError(code, `${source}:${pos.line}:${pos.col}: ${syntaxLabel}${syntax.message.split('\n')[0]}`, {
      details: { source, field: '(root)', line: pos.line, col: pos.col, issues: [] },
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new FailsmallError(code, `${source}: ${(error as Error).message}`, { cause: error, details: { source } });
  }
  return { data, doc, locate: (path) => locate(doc, lineCounter, path) };
}

/**
 * Throws `code` for `issues` (at least one): the first names `source:line:col: field: message`, the
 * next three are listed after it; `details: { source, field, line, col, issues }`.
 */
export function throwIssues(code: ErrorCode, source: string, issues: readonly YamlIssue[]): never {
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

/** A zod issue as a {@link YamlIssue} of `file`; an unknown key points at the key itself. */
export function issueOf(file: YamlText, issue: Zod.core.$ZodIssue): YamlIssue {
  let path = issue.path as (string | number)[];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
    path = [...path, issue.keys[0]!];
    message = `unknown field${issue.keys.length > 1 ? `s ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : ''}; check its spelling and nesting`;
  }
  const pos = file.locate(path);
  return { field: formatPath(path) || '(root)', message, ...(pos === undefined ? {} : pos) };
}

/**
 * Parses `text` and validates it with `schema`; throws `code` naming the first bad field with its
 * line and column, and every problem in `details.issues`.
 */
export function parseYamlWith<S extends Zod.ZodType>(
  yaml: typeof Yaml,
  text: string,
  schema: S,
  source: string,
  code: ErrorCode,
): Zod.output<S> {
  const file = readYamlText(yaml, text, source, code);
  const parsed = schema.safeParse(file.data);
  if (parsed.success) return parsed.data;
  return throwIssues(
    code,
    source,
    parsed.error.issues.map((issue) => issueOf(file, issue)),
  );
}
