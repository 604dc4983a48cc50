import MarkdownIt from 'markdown-it';

/**
 * HTML made here from untrusted text, and only here: the one kind of string a template may write
 * unescaped (`<%~ %>`) besides the layout body and partials. The brand keeps any other string out.
 */
export type SafeHtml = string & { readonly __safeHtml: unique symbol };

/** The only links agent-written text may carry: the web and mail. No javascript:, data:, relative or protocol-less. */
const SAFE_LINK = /^(?:https?:\/\/|mailto:)/i;

export function isSafeLink(url: string): boolean {
  return SAFE_LINK.test(url);
}

/**
 * CommonMark with raw HTML off (a tag in the text is shown as text), bare URLs turned into links,
 * images off (a task cannot make the page fetch anything; the CSP would refuse it too), and every
 * link validated, opening in a new tab without the page as opener or referrer. Headings move two
 * levels down: a description sits under the page's h1 and its own h2.
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
md.disable('image');
md.validateLink = isSafeLink;

md.renderer.rules.link_open = (tokens, index, options, _env, self) => {
  const token = tokens[index]!;
  token.attrSet('target', '_blank');
  token.attrSet('rel', 'noopener noreferrer');
  return self.renderToken(tokens, index, options);
};
const heading: NonNullable<typeof md.renderer.rules.heading_open> = (tokens, index, options, _env, self) => {
  const token = tokens[index]!;
  token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + 2)}`;
  return self.renderToken(tokens, index, options);
};
md.renderer.rules.heading_open = heading;
md.renderer.rules.heading_close = heading;

/** A task's description (Markdown) as HTML that is safe to put in a page. */
export function renderMarkdown(text: string): SafeHtml {
  return md.render(text) as SafeHtml;
}

function linkHtml(url: string, text: string): string {
  const href = md.utils.escapeHtml(md.normalizeLink(url));
  return `<a href="${href}" target="_blank" rel="noopener noreferrer">${md.utils.escapeHtml(text)}</a>`;
}

/**
 * Plain text (a context value, pretty-printed JSON) escaped, with the http(s) and mailto URLs in it
 * made links under the same rule as the Markdown's; everything else stays text.
 */
export function linkifyText(text: string): SafeHtml {
  let html = '';
  let at = 0;
  for (const match of md.linkify.match(text) ?? []) {
    if (!isSafeLink(match.url)) continue;
    html += md.utils.escapeHtml(text.slice(at, match.index)) + linkHtml(match.url, match.raw);
    at = match.lastIndex;
  }
  return (html + md.utils.escapeHtml(text.slice(at))) as SafeHtml;
}
