import path from 'node:path';
import { Eta } from 'eta';

/** Templates and static files live beside src/ (server/web), so src and dist builds find the same ones. */
export const WEB_ROOT = path.resolve(__dirname, '../../../web');

/**
 * Eta with auto-escaping: `<%= %>` escapes & < > " ' and is the only output tag the templates use
 * for data; `<%~ %>` (raw) appears only for the layout body and included partials, which are
 * themselves templates. Agent-written text therefore reaches the page as text, never as markup.
 */
export const views = new Eta({
  views: path.join(WEB_ROOT, 'templates'),
  autoEscape: true,
  cache: true,
});

export function formatTime(ms: number | null): string {
  return ms === null
    ? '—'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

export function formatConfidence(value: number | null): string {
  return value === null ? '—' : `${Math.round(value * 100)} %`;
}
