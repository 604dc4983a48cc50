import type { Request } from 'express';
import { crossSiteReason } from './same-origin.js';

const PUBLIC = 'https://lg.example.com';

function request(headers: Record<string, string>, protocol = 'http'): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { protocol, get: (name: string) => lower[name.toLowerCase()] } as unknown as Request;
}

describe('which form posts count as sent from another site', () => {
  test.each([
    ['no headers at all (curl, scripts)', {}],
    ['Sec-Fetch-Site: same-origin', { 'Sec-Fetch-Site': 'same-origin' }],
    ['Sec-Fetch-Site: none (typed or bookmarked)', { 'Sec-Fetch-Site': 'none' }],
    ['the public origin', { Origin: 'https://lg.example.com' }],
    ['the public origin with its default port', { Origin: 'https://lg.example.com:443' }],
    ['the origin the request was sent to', { Origin: 'http://10.0.0.5:3000', Host: '10.0.0.5:3000' }],
    ['the request origin, upper case', { Origin: 'http://LG.internal', Host: 'lg.internal' }],
  ])('allowed: %s', (_name, headers) => {
    expect(crossSiteReason(request(headers), PUBLIC)).toBeNull();
  });

  test.each([
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site', Origin: PUBLIC }, 'Sec-Fetch-Site: cross-site'],
    ['Sec-Fetch-Site: same-site (a sibling)', { 'Sec-Fetch-Site': 'same-site' }, 'Sec-Fetch-Site: same-site'],
    ['a sibling subdomain', { Origin: 'https://evil.example.com' }, 'Origin: https://evil.example.com'],
    ['the public host over http', { Origin: 'http://lg.example.com' }, 'Origin: http://lg.example.com'],
    ['another port', { Origin: 'https://lg.example.com:8443' }, 'Origin: https://lg.example.com:8443'],
    ['an opaque origin', { Origin: 'null' }, 'Origin: null'],
    ['a non-web scheme', { Origin: 'file://' }, 'Origin: file://'],
    [
      'an Origin that differs from the Host it was sent to',
      { Origin: 'http://evil.test', Host: 'lg.internal' },
      'Origin: http://evil.test',
    ],
  ])('refused: %s', (_name, headers, reason) => {
    expect(crossSiteReason(request(headers), PUBLIC)).toBe(reason);
  });
});
