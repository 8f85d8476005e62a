/**
 * A YAML (or JSON) configuration file read against a zod schema, with errors that name the field and,
 * where the YAML parser has it, its line and column: `health.yaml:7:5: sources[1].port: expected …`.
 * The reading is chaos/yaml-text.ts's, shared with the zone files, scenarios and experiments.
 */
import type * as Zod from 'zod';
import type { ErrorCode } from '../core/errors.js';
import { loadYaml, parseYamlWith, type YamlIssue } from '../chaos/yaml-text.js';

// yaml is an optional peer, loaded when this module is first imported (FS_ERR_MISSING_PEER names it).
const yaml = await loadYaml('the config reader of failsmall');

/** One problem of a configuration file. */
export type ConfigIssue = YamlIssue;

/**
 * Parses `text` as YAML (JSON is YAML) and validates it with `schema`. Throws a `FailsmallError`
 * with `code`, a message naming the first bad field (`source:line:col: field: message`) and
 * `details: { source, field, line, col, issues }` listing every problem.
 */
export function parseConfig<S extends Zod.ZodType>(
  text: string,
  schema: S,
  source: string,
  code: ErrorCode,
): Zod.output<S> {
  return parseYamlWith(yaml, text, schema, source, code);
}
