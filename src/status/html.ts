/**
 * The public status page and the responder view, rendered on the server. The public page needs no
 * JavaScript: components by business process with a 90-day uptime bar, open incidents with every
 * update and "next update by HH:MM", maintenance, and past incidents. Every piece of text passes
 * through {@link escapeHtml}, so an incident titled `<script>` shows as that text.
 */
import { cadenceStatus, nextUpdateDue, type Cadence } from './cadence.js';
import type { DependencyMap } from './dependency-map.js';
import { renderDependencySvg } from './map-svg.js';
import type { Component, ComponentEvent, ComponentStatus, Incident, Maintenance, Suggestion } from './model.js';
import { overallStatus, type PageState } from './statuspage-json.js';
import { uptimeBar, uptimeShare } from './uptime.js';

/** Escapes `& < > " '` for HTML text and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const label: Record<ComponentStatus, string> = {
  operational: 'Operational',
  under_maintenance: 'Under maintenance',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
};

/** `HH:MM` in UTC. */
export function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

const stamp = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function layout(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="stylesheet" href="/assets/status.css">
<link rel="alternate" type="application/atom+xml" title="Incident updates" href="/history.atom">${head}</head>
<body>${body}</body></html>`;
}

function uptimeHtml(component: Component, events: readonly ComponentEvent[], now: number): string {
  const bar = uptimeBar(component, events, now);
  const cells = bar
    .map((d) => {
      const cls = d.worst === null ? 'none' : d.worst;
      const text = d.uptime === null ? `${d.day}: no data` : `${d.day}: ${(d.uptime * 100).toFixed(2)}% up`;
      return `<span class="day ${cls}" title="${escapeHtml(text)}"></span>`;
    })
    .join('');
  return `<div class="uptime" aria-label="90-day uptime ${(uptimeShare(bar) * 100).toFixed(2)}%">${cells}</div>
<p class="uptime-share">${(uptimeShare(bar) * 100).toFixed(2)}% uptime over 90 days</p>`;
}

function updatesHtml(incident: Incident): string {
  return [...incident.updates]
    .reverse()
    .map(
      (u) => `<li class="update"><strong class="update-status">${escapeHtml(u.status)}</strong>
<time datetime="${new Date(u.at).toISOString()}">${escapeHtml(stamp(u.at))}</time>
<p class="update-body">${escapeHtml(u.body)}</p>${
        u.whatYouCanDo === null
          ? ''
          : `<p class="what-you-can-do"><strong>What you can do:</strong> ${escapeHtml(u.whatYouCanDo)}</p>`
      }</li>`,
    )
    .join('');
}

function incidentHtml(incident: Incident, state: PageState, c: Cadence): string {
  const names = incident.componentIds
    .map((id) => state.components.find((x) => x.id === id)?.name)
    .filter((n): n is string => n !== undefined);
  const due = nextUpdateDue(incident, c);
  return `<article class="incident impact-${escapeHtml(incident.impact)}" id="incident-${escapeHtml(incident.id)}">
<h3 class="incident-name">${escapeHtml(incident.name)}</h3>
<p class="incident-status">${escapeHtml(incident.status)}${names.length === 0 ? '' : ` · affects ${escapeHtml(names.join(', '))}`}</p>
${due === undefined ? '' : `<p class="next-update">Next update by ${escapeHtml(hhmm(due))} UTC</p>`}
<ol class="updates">${updatesHtml(incident)}</ol></article>`;
}

function maintenanceHtml(m: Maintenance): string {
  return `<article class="maintenance"><h3>${escapeHtml(m.name)}</h3>
<p>${escapeHtml(m.status.replace('_', ' '))} · ${escapeHtml(stamp(m.scheduledFor))} to ${escapeHtml(stamp(m.scheduledUntil))}</p>
<p>${escapeHtml(m.body)}</p></article>`;
}

/** A duration for people: `45 s`, `12 min`, `2 h 05 min`. */
export function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}

function mapHtml(map: DependencyMap): string {
  const rows = map.mttr
    .map(
      (
        m,
      ) => `<tr data-dependency="${escapeHtml(m.dependency)}"><td>${escapeHtml(m.dependency)}</td><td>${m.failures}</td>
<td>${m.p50Ms === null ? '–' : escapeHtml(durationText(m.p50Ms))}</td><td>${m.p90Ms === null ? '–' : escapeHtml(durationText(m.p90Ms))}</td>
<td>${m.maxMs === null ? '–' : escapeHtml(durationText(m.maxMs))}</td><td>${m.ongoing}</td></tr>`,
    )
    .join('');
  const processes = map.systems
    .map(
      (s) =>
        `<li><strong>${escapeHtml(s.title)}</strong>${s.description === null ? '' : `: ${escapeHtml(s.description)}`} (${escapeHtml(s.members.join(', '))})</li>`,
    )
    .join('');
  return `<section id="dependencies"><h2>Dependency map</h2>
<p class="map-note">Built from our services' own calls, updated as they report. <a href="/api/dependencies.json">JSON</a></p>
<div class="map">${renderDependencySvg(map)}</div>
${processes === '' ? '' : `<h3>Business processes</h3><ul class="processes">${processes}</ul>`}
${rows === '' ? '' : `<h3>Time to recover, per dependency</h3><table class="mttr"><thead><tr><th>Dependency</th><th>Failures</th><th>p50</th><th>p90</th><th>max</th><th>Ongoing</th></tr></thead><tbody>${rows}</tbody></table>`}
</section>`;
}

/** What the public page shows. */
export interface PublicPageInput {
  /** The dependency map; left out when absent or empty. */
  readonly map?: DependencyMap;
  readonly state: PageState;
  /** Status changes of the last 90 days, for the uptime bars. */
  readonly events: readonly ComponentEvent[];
  readonly now: number;
  readonly cadence: Cadence;
}

/** The public page, readable without JavaScript. */
export function renderPublicPage(input: PublicPageInput): string {
  const { state, events, now, cadence: c } = input;
  const status = overallStatus(state);
  const open = state.incidents.filter((i) => i.status !== 'resolved');
  const past = state.incidents.filter((i) => i.status === 'resolved').slice(0, 10);
  const groups = new Map<string, Component[]>();
  for (const comp of state.components) groups.set(comp.group, [...(groups.get(comp.group) ?? []), comp]);
  const maint = state.maintenances.filter((m) => m.status !== 'completed');
  const body = `<header><h1>${escapeHtml(state.page.name)}</h1>
<p class="overall indicator-${escapeHtml(status.indicator)}" id="overall">${escapeHtml(status.description)}</p></header>
<main>
${open.length === 0 ? '' : `<section id="incidents"><h2>Current incidents</h2>${open.map((i) => incidentHtml(i, state, c)).join('')}</section>`}
${maint.length === 0 ? '' : `<section id="maintenance"><h2>Scheduled maintenance</h2>${maint.map(maintenanceHtml).join('')}</section>`}
<section id="components"><h2>Components</h2>${[...groups]
    .map(
      ([group, members]) =>
        `<div class="group"><h3>${escapeHtml(group)}</h3>${members
          .map(
            (
              m,
            ) => `<div class="component" id="component-${escapeHtml(m.id)}"><span class="component-name">${escapeHtml(m.name)}</span>
<span class="component-status status-${m.status}">${escapeHtml(label[m.status])}</span>${uptimeHtml(m, events, now)}</div>`,
          )
          .join('')}</div>`,
    )
    .join('')}</section>
${input.map === undefined || input.map.nodes.length === 0 ? '' : mapHtml(input.map)}
${past.length === 0 ? '' : `<section id="past"><h2>Past incidents</h2>${past.map((i) => incidentHtml(i, state, c)).join('')}</section>`}
</main><footer><a href="/api/v2/summary.json">JSON</a> · <a href="/history.atom">Atom feed</a> · <a href="/responder">Responders</a></footer>`;
  return layout(state.page.name, body);
}

/** The responder's login form (the token opens a session). */
export function renderLogin(pageName: string, error?: string): string {
  return layout(
    `${pageName}: responders`,
    `<main><h1>Responders</h1><form id="login" method="post" action="/responder/login" data-json>
<label>Token <input type="password" name="token" autocomplete="current-password" required></label>
<span class="error" data-field="token">${error === undefined ? '' : escapeHtml(error)}</span>
<button type="submit">Sign in</button></form></main>`,
    '<script src="/assets/responder.js" defer></script>',
  );
}

const options = (values: readonly string[], selected?: string): string =>
  values
    .map((v) => `<option value="${escapeHtml(v)}"${v === selected ? ' selected' : ''}>${escapeHtml(v)}</option>`)
    .join('');

/** What the responder view shows. */
export interface ResponderPageInput {
  readonly state: PageState;
  readonly now: number;
  readonly cadence: Cadence;
  /** The session's CSRF token, sent back in `X-CSRF-Token` by the page's script. */
  readonly csrf: string;
  /** Suggested incidents waiting for a decision; default none. */
  readonly suggestions?: readonly Suggestion[];
}

function suggestionHtml(s: Suggestion, components: readonly Component[]): string {
  const names = s.componentIds.map((id) => components.find((c) => c.id === id)?.name ?? id);
  const seen = `${s.count} signal${s.count === 1 ? '' : 's'} from ${s.service}${s.region === null ? '' : ` (${s.region})`}, first ${stamp(s.firstAt)}, latest ${stamp(s.lastAt)}${s.clearedAt === null ? '' : `; cleared ${stamp(s.clearedAt)}`}`;
  return `<article class="suggestion kind-${escapeHtml(s.kind)}" id="suggestion-${escapeHtml(s.id)}" data-kind="${escapeHtml(s.kind)}">
<h3 class="suggestion-name">${escapeHtml(s.name)}</h3>
<p class="suggestion-seen">${escapeHtml(seen)}</p>
${s.reasons.length === 0 ? '' : `<p class="suggestion-reasons">${escapeHtml(s.reasons.join('; '))}</p>`}
<p class="suggestion-components">${names.length === 0 ? 'No component tied to it: pick them below.' : `Affects ${escapeHtml(names.join(', '))} (${escapeHtml(s.componentStatus.replace('_', ' '))})`}</p>
<form class="publish-form" method="post" action="/api/admin/suggestions/${escapeHtml(s.id)}/publish" data-json>
<label>Title <input name="name" value="${escapeHtml(s.name)}" required></label><span class="error" data-field="name"></span>
<label>Impact <select name="impact">${options(['none', 'minor', 'major', 'critical'], s.impact)}</select></label>
<label>First update <textarea name="body" required>${escapeHtml(s.body)}</textarea></label><span class="error" data-field="body"></span>
<label>What you can do <textarea name="whatYouCanDo"></textarea></label><span class="error" data-field="whatYouCanDo"></span>
<p class="hint">Components: left unchanged, the ones above with the proposed status.</p>
${componentPicker(components, 'component:')}<span class="error" data-field="components"></span>
<span class="error" data-field=""></span><button type="submit">Publish</button></form>
<form class="dismiss-form" method="post" action="/api/admin/suggestions/${escapeHtml(s.id)}/dismiss" data-json>
<span class="error" data-field=""></span><button type="submit">Dismiss</button></form></article>`;
}

const componentPicker = (components: readonly Component[], prefix: string): string =>
  components
    .map(
      (c) =>
        `<label class="pick">${escapeHtml(c.name)} <select name="${prefix}${escapeHtml(c.id)}"><option value="">unchanged</option>${options(
          ['operational', 'degraded_performance', 'partial_outage', 'major_outage'],
        )}</select></label>`,
    )
    .join('');

/**
 * The responder view: open incidents with their cadence (due and overdue updates stand out), a form
 * to post an update or resolve each, and a form to open one. Its forms are sent as JSON by
 * /assets/responder.js with the session's CSRF token; field errors show beside each field.
 */
export function renderResponder(input: ResponderPageInput): string {
  const { state, now, cadence: c } = input;
  const open = state.incidents.filter((i) => i.status !== 'resolved');
  const incidents = open
    .map((i) => {
      const cad = cadenceStatus(i, now, c)!;
      const due =
        cad.state === 'ok'
          ? `next update by ${hhmm(cad.dueAt)} UTC`
          : cad.state === 'due'
            ? `update due by ${hhmm(cad.dueAt)} UTC`
            : `update overdue by ${Math.ceil(cad.lateByMs / 60_000)} min (was due ${hhmm(cad.dueAt)} UTC)`;
      return `<article class="incident cadence-${cad.state}" id="incident-${escapeHtml(i.id)}" data-cadence="${cad.state}">
<h3 class="incident-name">${escapeHtml(i.name)}</h3><p class="incident-status">${escapeHtml(i.status)}</p>
<p class="cadence" role="status">${escapeHtml(due)}</p>
<form class="update-form" method="post" action="/api/admin/incidents/${escapeHtml(i.id)}/updates" data-json>
<label>Status <select name="status">${options(['investigating', 'identified', 'monitoring', 'resolved'], i.status)}</select></label>
<span class="error" data-field="status"></span>
<label>Update <textarea name="body" required></textarea></label><span class="error" data-field="body"></span>
<label>What you can do <textarea name="whatYouCanDo"></textarea></label><span class="error" data-field="whatYouCanDo"></span>
${componentPicker(state.components, 'component:')}<span class="error" data-field="components"></span>
<span class="error" data-field=""></span><button type="submit">Post update</button></form>
<ol class="updates">${updatesHtml(i)}</ol></article>`;
    })
    .join('');
  const body = `<header><h1>${escapeHtml(state.page.name)}: responders</h1>
<form method="post" action="/responder/logout" data-json><button type="submit">Sign out</button></form></header><main>
<section id="suggestions"><h2>Suggested incidents</h2>${
    (input.suggestions ?? []).length === 0
      ? '<p>None: breaker opens, DNS guard engagements and health escalations show here for you to publish or dismiss.</p>'
      : (input.suggestions ?? []).map((x) => suggestionHtml(x, state.components)).join('')
  }</section>
<section id="open-incidents"><h2>Open incidents</h2>${incidents === '' ? '<p>None.</p>' : incidents}</section>
<section><h2>Open an incident</h2><form id="open-incident" method="post" action="/api/admin/incidents" data-json>
<label>Title <input name="name" required></label><span class="error" data-field="name"></span>
<label>Impact <select name="impact">${options(['none', 'minor', 'major', 'critical'], 'minor')}</select></label>
<label>Status <select name="status">${options(['investigating', 'identified', 'monitoring'], 'investigating')}</select></label>
<label>First update <textarea name="body" required></textarea></label><span class="error" data-field="body"></span>
<label>What you can do <textarea name="whatYouCanDo"></textarea></label><span class="error" data-field="whatYouCanDo"></span>
${componentPicker(state.components, 'component:')}<span class="error" data-field="components"></span>
<span class="error" data-field=""></span><button type="submit">Open incident</button></form></section></main>`;
  return layout(
    `${state.page.name}: responders`,
    body,
    `<meta name="csrf-token" content="${escapeHtml(input.csrf)}"><script src="/assets/responder.js" defer></script>`,
  );
}

/** The page's style sheet. */
export const statusCss = `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1d1d1f}
.overall{padding:.75rem 1rem;border-radius:.4rem;background:#e3f6e8;font-weight:600}
.indicator-minor{background:#fff4d6}.indicator-major{background:#ffe3cc}.indicator-critical{background:#ffd9d9}
.indicator-maintenance{background:#dde9ff}.incident,.maintenance{border-left:4px solid #f0a000;padding:.25rem 1rem;margin:1rem 0}
.impact-critical{border-color:#d00}.component{margin:.75rem 0}.component-status{float:right}
.uptime{display:flex;gap:1px;height:2rem;margin-top:.25rem}.day{flex:1;background:#2fb344}.day.none{background:#ddd}
.day.degraded_performance{background:#f0c000}.day.partial_outage{background:#f08000}.day.major_outage{background:#d00}
.day.under_maintenance{background:#4a7bd0}.uptime-share{font-size:.8rem;color:#666;margin:0}
.error{color:#b00;display:block;font-size:.9rem}.cadence-due .cadence{color:#a60;font-weight:600}
.cadence-overdue .cadence{color:#fff;background:#b00;padding:.2rem .5rem;font-weight:600}
label{display:block;margin:.4rem 0}textarea{width:100%;min-height:4rem}.next-update{font-weight:600}
.map{overflow-x:auto}.mttr{border-collapse:collapse}.mttr td,.mttr th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}
.suggestion{border-left:4px solid #4a7bd0;padding:.25rem 1rem;margin:1rem 0}.map-note{font-size:.9rem;color:#555}`;

/**
 * The responder view's script: sends each `form[data-json]` as JSON with the CSRF token, shows field
 * errors beside the fields, reloads on success. Component pickers (`component:<id>`) become the
 * `components` list.
 */
export const responderJs = `'use strict';
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-json')) return;
  event.preventDefault();
  for (const el of form.querySelectorAll('.error')) el.textContent = '';
  const body = {};
  const components = [];
  for (const [key, value] of new FormData(form)) {
    if (key.startsWith('component:')) { if (value !== '') components.push({ id: key.slice(10), status: value }); }
    else if (value !== '' || key === 'body' || key === 'name' || key === 'token') body[key] = value;
  }
  if (form.querySelector('[name^="component:"]')) body.components = components;
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const headers = { 'content-type': 'application/json' };
  if (csrf) headers['x-csrf-token'] = csrf.content;
  const res = await fetch(form.action, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'same-origin' });
  if (res.ok) { location.assign('/responder'); return; }
  let problem = {};
  try { problem = await res.json(); } catch {}
  const errors = problem.errors && problem.errors.length > 0 ? problem.errors : [{ field: '', message: problem.message || res.statusText }];
  for (const e of errors) {
    const top = String(e.field).split(/[.[]/)[0];
    const slot = form.querySelector('.error[data-field="' + CSS.escape(top) + '"]') || form.querySelector('.error[data-field=""]');
    if (slot) slot.textContent = (slot.textContent ? slot.textContent + '; ' : '') + e.message;
  }
});
`;
