/**
 * The Atom feed of incident updates (RFC 4287): one entry per update, newest first, so a feed reader
 * shows each word the responders published. Text is escaped; content is plain text.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4287
 */
import { escapeHtml } from './html.js';
import type { Incident } from './model.js';
import type { PageInfo } from './statuspage-json.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The feed of the updates of `incidents`, at most `limit` entries (default 100). */
export function renderAtom(page: PageInfo, incidents: readonly Incident[], limit = 100): string {
  const base = page.url.replace(/\/$/, '');
  const entries = incidents
    .flatMap((incident) => incident.updates.map((update) => ({ incident, update })))
    .sort((a, b) => b.update.at - a.update.at)
    .slice(0, limit);
  const updated = entries[0]?.update.at ?? 0;
  const body = entries
    .map(({ incident, update }) => {
      const text =
        update.whatYouCanDo === null ? update.body : `${update.body}\n\nWhat you can do: ${update.whatYouCanDo}`;
      return `<entry><id>tag:failsmall,2025:${escapeHtml(page.id)}:update:${escapeHtml(update.id)}</id>
<title>${escapeHtml(`${incident.name}: ${update.status}`)}</title><updated>${iso(update.at)}</updated>
<link rel="alternate" href="${escapeHtml(`${base}/#incident-${incident.id}`)}"/>
<content type="text">${escapeHtml(text)}</content></entry>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:failsmall,2025:${escapeHtml(page.id)}:history</id>
<title>${escapeHtml(`${page.name}: incident updates`)}</title><updated>${iso(updated)}</updated>
<link rel="self" href="${escapeHtml(`${base}/history.atom`)}"/><link rel="alternate" href="${escapeHtml(`${base}/`)}"/>
<author><name>${escapeHtml(page.name)}</name></author>
${body}
</feed>
`;
}
