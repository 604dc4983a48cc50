import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';
import { isSafeLink, linkifyText, renderMarkdown } from './markdown.js';

/** Every href in `html`, and every <a> tag. */
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
const anchors = (html: string) => [...html.matchAll(/<a\b[^>]*>/g)].map((m) => m[0]);

/** What no rendering of untrusted text may contain, on top of the corpus's own inertness check. */
function problemsOf(html: string, evil: string): string[] {
  const problems = inertnessProblems(html, evil);
  for (const href of hrefs(html)) if (!/^(https?:\/\/|mailto:)/i.test(href)) problems.push(`a link to ${href}`);
  for (const a of anchors(html)) {
    if (!a.includes('rel="noopener noreferrer"') || !a.includes('target="_blank"'))
      problems.push(`${a} opens unsafely`);
  }
  if (/<(script|style|iframe|img|svg|object|embed|form|input|textarea|button|meta|link|base)\b/i.test(html)) {
    problems.push('an element that text cannot make');
  }
  return problems;
}

describe('renderMarkdown: task descriptions', () => {
  test('renders the Markdown people write: emphasis, lists, code, links', () => {
    const html = renderMarkdown(
      'The **tank** is *cracked*.\n\n- photos\n- `courier` note\n\n[rules](https://help.example.com/refunds)',
    );
    expect(html).toContain('<strong>tank</strong>');
    expect(html).toContain('<em>cracked</em>');
    expect(html).toContain('<li>photos</li>');
    expect(html).toContain('<code>courier</code>');
    expect(html).toContain(
      '<a href="https://help.example.com/refunds" target="_blank" rel="noopener noreferrer">rules</a>',
    );
  });

  test('bare URLs and e-mail addresses become links; the page cannot be made to load an image', () => {
    const html = renderMarkdown(
      'See https://example.com/a?b=1 or write to help@example.com. ![x](https://evil.example/p.png)',
    );
    expect(hrefs(html)).toEqual(['https://example.com/a?b=1', 'mailto:help@example.com', 'https://evil.example/p.png']);
    expect(html).not.toMatch(/<img/);
  });

  test('raw HTML stays text', () => {
    const html = renderMarkdown('<b onclick="x()">bold</b> <script>alert(1)</script>');
    expect(html).toContain('&lt;b onclick=&quot;x()&quot;&gt;bold&lt;/b&gt;');
    expect(html).not.toMatch(/<b\b|<script/);
  });

  test.each([
    ['javascript:', '[click](javascript:alert(1))'],
    ['javascript: in an autolink', '<javascript:alert(1)>'],
    ['entity-encoded javascript:', '[click](&#106;avascript:alert(1))'],
    ['upper-case and spaced javascript:', '[click](  JaVaScRiPt:alert(1))'],
    ['data:', '[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
    ['vbscript:', '[click](vbscript:msgbox(1))'],
    ['file:', '[click](file:///etc/passwd)'],
    ['protocol-relative', '[click](//evil.example/x)'],
    ['relative', '[click](/logout)'],
    ['reference-style javascript:', '[click][x]\n\n[x]: javascript:alert(1)'],
  ])('a %s link is not a link', (_name, text) => {
    const html = renderMarkdown(text);
    expect(anchors(html)).toEqual([]);
    expect(problemsOf(html, text)).toEqual([]);
  });

  test('headings sit below the page heading and the Description heading', () => {
    expect(renderMarkdown('# Summary\n\n## Details')).toBe('<h3>Summary</h3>\n<h4>Details</h4>\n');
  });

  test.each(XSS_CORPUS)('the XSS corpus stays inert: %s', (_name, evil) => {
    for (const text of [evil, `**${evil}**`, `- ${evil}`, `[${evil}](https://example.com/)`, `# ${evil}`]) {
      expect(problemsOf(renderMarkdown(text), evil)).toEqual([]);
    }
  });
});

describe('linkifyText: URLs in context values', () => {
  test('http(s) and mailto URLs in pretty-printed JSON become links; the rest is escaped text', () => {
    const json = JSON.stringify({ ticket: 'https://support.example.com/t/48213', who: 'a <b> & "c"' }, null, 2);
    const html = linkifyText(json);
    expect(html).toContain(
      '&quot;<a href="https://support.example.com/t/48213" target="_blank" rel="noopener noreferrer">https://support.example.com/t/48213</a>&quot;',
    );
    expect(html).toContain('a &lt;b&gt; &amp; \\&quot;c\\&quot;');
  });

  test('a javascript: or data: "URL" stays text', () => {
    const html = linkifyText('javascript:alert(1) data:text/html,<script>x</script> ftp://files.example.com/x');
    expect(anchors(html)).toEqual([]);
    expect(html).toContain('&lt;script&gt;');
  });

  test.each(XSS_CORPUS)('the XSS corpus stays inert: %s', (_name, evil) => {
    for (const text of [evil, JSON.stringify({ evil }, null, 2), `https://example.com/${evil}`]) {
      expect(problemsOf(linkifyText(text), evil)).toEqual([]);
    }
  });

  test('isSafeLink accepts only the web and mail', () => {
    expect(['https://a.example', 'HTTP://a.example', 'mailto:x@example.com'].every(isSafeLink)).toBe(true);
    expect(['javascript:x', 'data:x', '//a.example', '/x', 'ftp://a.example'].some(isSafeLink)).toBe(false);
  });
});
