/**
 * The dependency map as a picture: server-rendered SVG, inline in the public page, no JavaScript
 * and no style attributes (the page's CSP allows neither; colours are presentation attributes).
 * Boxes are laid out in columns by depth (callers left, what they call right), arrows coloured by
 * health with the call count and error rate on them, and every box and arrow carries a `<title>`
 * with the details. All text is escaped.
 */
import type { DependencyMap, MapEdge, MapNode } from './dependency-map.js';
import { escapeHtml } from './html.js';

const BOX_W = 210;
const BOX_H = 46;
const COL_GAP = 150;
const ROW_GAP = 22;
const PAD = 16;
/** More than this and the picture says it left the rest out (the JSON has everything). */
const MAX_NODES = 60;

const strokes: Record<MapEdge['health'], string> = {
  ok: '#2fb344',
  degraded: '#e08a00',
  failing: '#d00000',
  unknown: '#8a8a8a',
};
const fills: Record<string, string> = {
  operational: '#e3f6e8',
  under_maintenance: '#dde9ff',
  degraded_performance: '#fff4d6',
  partial_outage: '#ffe3cc',
  major_outage: '#ffd9d9',
};

/** Columns by longest path from the callers; cycles stop after as many passes as there are nodes. */
function layers(nodes: readonly MapNode[], edges: readonly MapEdge[]): Map<string, number> {
  const depth = new Map(nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    let changed = false;
    for (const e of edges) {
      const d = (depth.get(e.from) ?? 0) + 1;
      if (e.from !== e.to && d > (depth.get(e.to) ?? 0) && d < nodes.length) {
        depth.set(e.to, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return depth;
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`);

function edgeLabel(e: MapEdge): string {
  return e.observed ? `${e.calls} calls · ${pct(e.errorRate)} err` : 'declared';
}

/** The state worth a word under the arrow, or ''. */
function edgeState(e: MapEdge): string {
  if (e.breaker === 'open' || e.breaker === 'isolated' || e.breaker === 'half-open') return `breaker ${e.breaker}`;
  return e.guard === 'engaged' ? 'DNS guard engaged' : '';
}

function edgeTitle(e: MapEdge): string {
  const parts = [`${e.from} → ${e.to}`];
  if (e.observed) {
    parts.push(`${e.calls} calls, ${e.errors} errors, ${e.rejected} rejected (${pct(e.errorRate)})`);
    if (e.latencyP50Ms !== null) parts.push(`latency p50 ≤ ${e.latencyP50Ms} ms, p90 ≤ ${e.latencyP90Ms} ms`);
    if (e.breaker !== null) parts.push(`breaker ${e.breaker}`);
    if (e.guard !== null) parts.push(`DNS guard ${e.guard}`);
  }
  if (e.declared) parts.push('declared in the catalog');
  return parts.join('; ');
}

/**
 * The SVG of `map` (an empty-map note when there is nothing to draw).
 *
 * @example
 * const svg = renderDependencySvg(service.dependencyMap());
 */
export function renderDependencySvg(map: DependencyMap): string {
  const nodes = map.nodes.slice(0, MAX_NODES);
  const shown = new Set(nodes.map((n) => n.id));
  const edges = map.edges.filter((e) => shown.has(e.from) && shown.has(e.to));
  if (nodes.length === 0) return '<p class="map-empty">No dependencies reported yet.</p>';
  const depth = layers(nodes, edges);
  const columns: MapNode[][] = [];
  for (const n of nodes) (columns[depth.get(n.id) ?? 0] ??= []).push(n);
  const place = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) =>
    col.forEach((n, r) => place.set(n.id, { x: PAD + c * (BOX_W + COL_GAP), y: PAD + r * (BOX_H + ROW_GAP) })),
  );
  const width = PAD * 2 + columns.length * BOX_W + (columns.length - 1) * COL_GAP;
  const height = PAD * 2 + Math.max(...columns.map((c) => c?.length ?? 0)) * (BOX_H + ROW_GAP) - ROW_GAP;
  const arrows = edges
    .map((e) => {
      const a = place.get(e.from)!;
      const b = place.get(e.to)!;
      const x1 = a.x + BOX_W;
      const y1 = a.y + BOX_H / 2;
      const x2 = b.x;
      const y2 = b.y + BOX_H / 2;
      const back = x2 <= x1;
      const bend = back ? 60 : (x2 - x1) / 2;
      const d = back
        ? `M${x1},${y1} C${x1 + bend},${y1 - 80} ${x2 - bend},${y2 - 80} ${x2},${y2}`
        : `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
      const stroke = strokes[e.health];
      // The label sits just after the arrow's start: arrows into one box start from different rows.
      const lx = back ? x1 - BOX_W / 2 : x1 + 6;
      const ly = back ? y1 - BOX_H / 2 - 6 : y1 - 6;
      return `<g class="map-edge health-${e.health}" data-from="${escapeHtml(e.from)}" data-to="${escapeHtml(e.to)}"><title>${escapeHtml(edgeTitle(e))}</title>
<path d="${d}" fill="none" stroke="${stroke}" stroke-width="${e.observed ? 2.5 : 1.5}"${e.observed ? '' : ' stroke-dasharray="6 4"'} marker-end="url(#arrow-${e.health})"/>
<text x="${lx}" y="${ly}"${back ? ' text-anchor="middle"' : ''} font-size="11" fill="#333">${escapeHtml(edgeLabel(e))}</text>${
        edgeState(e) === ''
          ? ''
          : `<text x="${lx}" y="${ly + 20}"${back ? ' text-anchor="middle"' : ''} font-size="11" fill="${stroke}">${escapeHtml(edgeState(e))}</text>`
      }</g>`;
    })
    .join('\n');
  const boxes = nodes
    .map((n) => {
      const p = place.get(n.id)!;
      const fill = n.status === null ? '#f4f4f6' : (fills[n.status] ?? '#f4f4f6');
      const sub = n.system === null ? n.kind : `${n.kind} · ${n.system}`;
      const title = `${n.title} (${n.id}): ${n.kind}${n.system === null ? '' : `, business process ${n.system}`}${n.status === null ? '' : `, ${n.status.replace('_', ' ')}`}`;
      return `<g class="map-node" data-id="${escapeHtml(n.id)}"><title>${escapeHtml(title)}</title>
<rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${BOX_H}" rx="6" fill="${fill}" stroke="#555"/>
<text x="${p.x + 10}" y="${p.y + 19}" font-size="13" font-weight="600" fill="#1d1d1f">${escapeHtml(clip(n.title, 28))}</text>
<text x="${p.x + 10}" y="${p.y + 36}" font-size="11" fill="#555">${escapeHtml(clip(sub, 34))}</text></g>`;
    })
    .join('\n');
  const markers = Object.entries(strokes)
    .map(
      ([h, c]) =>
        `<marker id="arrow-${h}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`,
    )
    .join('');
  const more =
    map.nodes.length > nodes.length
      ? `<p class="map-more">${map.nodes.length - nodes.length} more in <a href="/api/dependencies.json">the JSON</a>.</p>`
      : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="dependency-map" role="img" aria-labelledby="map-title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<title id="map-title">Dependency map: ${nodes.length} services and dependencies, ${edges.length} connections</title>
<defs>${markers}</defs>
${arrows}
${boxes}
</svg>${more}`;
}
