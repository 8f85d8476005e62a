/**
 * Validation of a region configuration, so that a wrong one fails at construction and names the
 * field: ``Expected `regions[1].priority` to be a non-negative integer, got -1``.
 */
import { FailsmallError } from '../../core/errors.js';
import { invalid, nonNegativeInteger } from '../../core/validate.js';

/** One region (or provider, or pre-approved substitute) of a dependency. */
export interface RegionConfig {
  /** Its name, unique in the set, e.g. `us-east-1` (also the AWS region given to per-region clients). */
  readonly name: string;
  /** Its base URL (`https://orders.us-east-1.example.com`), handed to calls as `ctx.endpoint`. */
  readonly endpoint?: string;
  /**
   * Its priority, 0 the preferred one (as Envoy/xDS priorities); default its index in the list.
   * Ties keep the list's order.
   */
  readonly priority?: number;
  /**
   * The operation classes it may serve; default every class for the preferred region and `['read']`
   * for the others: writes go to an alternate only where you declare the data model allows it.
   */
  readonly serves?: readonly string[];
  /** A health signal (e.g. from health/): false judges the region down; undefined or true says nothing. */
  readonly health?: () => boolean | undefined;
}

const REGION_KEYS = ['name', 'endpoint', 'priority', 'serves', 'health'];

/** A validated region, with its defaults applied. */
export interface ResolvedRegion {
  readonly name: string;
  readonly endpoint: string | undefined;
  readonly priority: number;
  readonly serves: readonly string[];
  readonly health: (() => boolean | undefined) | undefined;
}

/**
 * Checks `regions` against the operation classes and applies the defaults. Throws
 * `FS_ERR_INVALID_ARGUMENT` naming the field (``regions[1].name``), or
 * `FS_ERR_REGION_CONFIG` for a set that is valid field by field but not as a whole (a duplicate
 * name, an operation class no region serves).
 */
export function resolveRegions(regions: unknown, operations: readonly string[]): ResolvedRegion[] {
  if (!Array.isArray(regions) || regions.length === 0) invalid('regions', 'a non-empty array of regions', regions);
  const resolved = regions.map((given: unknown, index): ResolvedRegion => {
    const field = `regions[${index}]`;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) invalid(field, 'an object', given);
    const r = given as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (!REGION_KEYS.includes(key)) {
        throw new FailsmallError(
          'FS_ERR_INVALID_ARGUMENT',
          `Unknown option \`${field}.${key}\`; expected one of ${REGION_KEYS.join(', ')}`,
          { details: { option: `${field}.${key}`, expected: REGION_KEYS } },
        );
      }
    }
    if (typeof r.name !== 'string' || r.name === '') invalid(`${field}.name`, 'a non-empty string', r.name);
    if (r.endpoint !== undefined) {
      let ok = typeof r.endpoint === 'string';
      if (ok) {
        try {
          const url = new URL(r.endpoint as string);
          ok = url.protocol === 'http:' || url.protocol === 'https:';
        } catch {
          ok = false;
        }
      }
      if (!ok) invalid(`${field}.endpoint`, 'an http(s) URL', r.endpoint);
    }
    const priority = nonNegativeInteger(`${field}.priority`, r.priority ?? index);
    if (r.health !== undefined && typeof r.health !== 'function') invalid(`${field}.health`, 'a function', r.health);
    let serves: readonly string[] | undefined;
    if (r.serves !== undefined) {
      if (!Array.isArray(r.serves) || r.serves.length === 0) {
        invalid(`${field}.serves`, `a non-empty array of ${operations.join(', ')}`, r.serves);
      }
      for (const [j, op] of (r.serves as unknown[]).entries()) {
        if (typeof op !== 'string' || !operations.includes(op)) {
          invalid(`${field}.serves[${j}]`, `one of ${operations.map((o) => JSON.stringify(o)).join(', ')}`, op);
        }
      }
      serves = r.serves as string[];
    }
    return {
      name: r.name,
      endpoint: r.endpoint as string | undefined,
      priority,
      serves: serves ?? [],
      health: r.health as (() => boolean | undefined) | undefined,
    };
  });
  const seen = new Set<string>();
  for (const [index, r] of resolved.entries()) {
    if (seen.has(r.name)) {
      throw new FailsmallError(
        'FS_ERR_REGION_CONFIG',
        `\`regions[${index}].name\` ${JSON.stringify(r.name)} is used twice`,
        {
          details: { option: `regions[${index}].name`, name: r.name },
        },
      );
    }
    seen.add(r.name);
  }
  // stable sort by priority; the defaults of `serves` depend on who is preferred
  const ordered = [...resolved].sort((a, b) => a.priority - b.priority);
  const withServes = ordered.map((r, i) =>
    r.serves.length > 0 ? r : { ...r, serves: i === 0 ? operations : operations.filter((o) => o === 'read') },
  );
  for (const op of operations) {
    if (!withServes.some((r) => r.serves.includes(op))) {
      throw new FailsmallError('FS_ERR_REGION_CONFIG', `No region serves the operation class ${JSON.stringify(op)}`, {
        details: { option: 'regions', operation: op },
      });
    }
  }
  return withServes;
}

/** Checks the operation classes: a non-empty array of distinct non-empty strings; default `['read', 'write']`. */
export function resolveOperations(value: unknown): readonly string[] {
  if (value === undefined) return ['read', 'write'];
  if (!Array.isArray(value) || value.length === 0) invalid('operations', 'a non-empty array of strings', value);
  for (const [i, op] of (value as unknown[]).entries()) {
    if (typeof op !== 'string' || op === '') invalid(`operations[${i}]`, 'a non-empty string', op);
    if ((value as unknown[]).indexOf(op) !== i) invalid(`operations[${i}]`, 'a class named once', op);
  }
  return value as string[];
}
