/**
 * The catalog that ties services to business processes: a Backstage `catalog-info.yaml` (one or
 * more YAML documents) with the kinds `Component`, `Resource` and `System`. A Component or Resource
 * belongs to a System (`spec.system`: the business process shown on the page) and depends on others
 * (`spec.dependsOn`: entity references such as `resource:default/dynamodb`); the annotation
 * `failsmall.dev/status-component` names the status component it shows as. Other kinds (API, Group,
 * User, Domain, Location) are skipped and listed in `ignored`.
 *
 * Bad input never half-loads: the whole file is validated first, and every problem comes back in
 * one `FS_ERR_STATUS_INVALID_CATALOG` with field-level errors
 * (`details.errors = [{ field: 'documents[1].spec.dependsOn[0]', message, line, col }]`).
 *
 * yaml and zod are optional peers; the service imports this module on first use (a status page
 * without a catalog never loads yaml).
 *
 * @see https://backstage.io/docs/features/software-catalog/descriptor-format
 */
import type * as Yaml from 'yaml';
import type * as Zod from 'zod';
import { locate } from '../chaos/yaml-text.js';
import { FailsmallError } from '../core/errors.js';
import { importPeer, requirePeer } from '../core/optional-peer.js';
import { StatusErrorCodes } from './error-codes.js';
import { isValidId } from './input.js';
import type { CatalogEntity, CatalogKind } from './model.js';

const { LineCounter, parseAllDocuments } = await importPeer<typeof Yaml>(
  'yaml',
  'the catalog reader of failsmall/status',
);
const { z } = requirePeer<typeof Zod>('zod', 'the catalog reader of failsmall/status');

/** Backstage's name rule: letters, digits and `-_.` between them, at most 63 characters. */
const entityName = z
  .string()
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/,
    'letters, digits and - _ . between them, 1 to 63 characters',
  );
/** `[kind:][namespace/]name`. */
const entityRef = z
  .string()
  .regex(
    /^(?:[A-Za-z]+:)?(?:[A-Za-z0-9._-]+\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/,
    'an entity reference: [kind:][namespace/]name',
  );
const optionalText = z.string().max(500).optional();

const metadata = z
  .object({
    name: entityName,
    namespace: z.string().max(63).optional(),
    title: z.string().max(200).optional(),
    description: optionalText,
    annotations: z.record(z.string(), z.string().max(500)).optional(),
  })
  .passthrough();
const partSpec = z
  .object({
    type: z.string().min(1, 'must not be empty').max(100),
    system: entityRef.optional(),
    dependsOn: z.array(entityRef).max(100).optional(),
  })
  .passthrough();
const envelope = (kind: CatalogKind, spec: Zod.ZodType) =>
  z
    .object({
      apiVersion: z.string().regex(/^backstage\.io\//, 'must start with backstage.io/'),
      kind: z.literal(kind),
      metadata,
      spec,
    })
    .passthrough();
const documentSchemas = {
  Component: envelope('Component', partSpec),
  Resource: envelope('Resource', partSpec),
  System: envelope('System', z.object({}).passthrough().optional().default({})),
};

/** A catalog problem, with its place in the file when known. */
export interface CatalogFieldError {
  readonly field: string;
  readonly message: string;
  readonly line?: number;
  readonly col?: number;
}

/** What {@link parseCatalog} returns. */
export interface ParsedCatalog {
  readonly entities: CatalogEntity[];
  /** `kind:name` of each document of another kind, skipped. */
  readonly ignored: string[];
}

/** The name in an entity reference (`resource:default/dynamodb` → `dynamodb`). */
export function refName(ref: string): string {
  const afterKind = ref.includes(':') ? ref.slice(ref.indexOf(':') + 1) : ref;
  return afterKind.includes('/') ? afterKind.slice(afterKind.lastIndexOf('/') + 1) : afterKind;
}

const STATUS_ANNOTATION = 'failsmall.dev/status-component';

/** `documents[1].spec.dependsOn[0]` */
function field(document: number, path: readonly (string | number)[]): string {
  return `documents[${document}]${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
}

/**
 * Parses and validates a `catalog-info.yaml` text; `source` names it in messages.
 *
 * @example
 * const { entities } = await parseCatalog(readFileSync('catalog-info.yaml', 'utf8'), 'catalog-info.yaml');
 */
export function parseCatalog(text: string, source = 'catalog'): ParsedCatalog {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors: CatalogFieldError[] = [];
  const entities: CatalogEntity[] = [];
  const ignored: string[] = [];
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    errors.push({ field: '', message: 'not a YAML stream' });
  }
  const seen = new Map<string, number>();
  list.forEach((doc, i) => {
    const at = (path: readonly (string | number)[]): { line?: number; col?: number } =>
      locate(doc, lineCounter, path) ?? {};
    const syntax = doc.errors[0];
    if (syntax !== undefined) {
      const pos = lineCounter.linePos(syntax.pos[0]);
      errors.push({
        field: `documents[${i}]`,
        message: `not valid YAML: ${syntax.message.split('\n')[0]}`,
        line: pos.line,
        col: pos.col,
      });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // an empty document (a trailing ---)
    const kind = (value as { kind?: unknown }).kind;
    if (typeof value !== 'object' || Array.isArray(value) || typeof kind !== 'string') {
      errors.push({ field: `documents[${i}].kind`, message: 'expected an entity with a kind', ...at(['kind']) });
      return;
    }
    if (!(kind in documentSchemas)) {
      const n = (value as { metadata?: { name?: unknown } }).metadata?.name;
      ignored.push(`${kind}:${String(n)}`);
      return;
    }
    const result = documentSchemas[kind as CatalogKind].safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
        errors.push({ field: field(i, path), message: issue.message, ...at(path) });
      }
      return;
    }
    const e = result.data as {
      kind: CatalogKind;
      metadata: { name: string; title?: string; description?: string; annotations?: Record<string, string> };
      spec?: { type?: string; system?: string; dependsOn?: string[] };
    };
    const statusComponent = e.metadata.annotations?.[STATUS_ANNOTATION] ?? null;
    if (statusComponent !== null && !isValidId(statusComponent)) {
      errors.push({
        field: `documents[${i}].metadata.annotations.${STATUS_ANNOTATION}`,
        message: 'a status component id: letters, digits, - and _, 1 to 64 characters',
        ...at(['metadata', 'annotations', STATUS_ANNOTATION]),
      });
      return;
    }
    const previous = seen.get(e.metadata.name);
    if (previous !== undefined) {
      errors.push({
        field: `documents[${i}].metadata.name`,
        message: `named twice (also documents[${previous}])`,
        ...at(['metadata', 'name']),
      });
      return;
    }
    seen.set(e.metadata.name, i);
    entities.push({
      kind: e.kind,
      name: e.metadata.name,
      title: e.metadata.title ?? null,
      description: e.metadata.description ?? null,
      type: e.spec?.type ?? null,
      system: e.spec?.system === undefined ? null : refName(e.spec.system),
      dependsOn: [...new Set((e.spec?.dependsOn ?? []).map(refName))],
      statusComponent,
    });
  });
  if (errors.length > 0) {
    const shown = errors
      .slice(0, 5)
      .map((x) => `${x.line === undefined ? '' : `${x.line}:${x.col}: `}${x.field || '(file)'}: ${x.message}`);
    throw new FailsmallError(
      StatusErrorCodes.INVALID_CATALOG,
      `Invalid catalog ${source}: ${shown.join('; ')}${errors.length > 5 ? `; and ${errors.length - 5} more` : ''}`,
      { details: { source, errors } },
    );
  }
  return { entities, ignored };
}
