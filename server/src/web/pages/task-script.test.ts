import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { type DiffLine, lineDiff, payloadText } from '../../domain/approvals/payload-diff.js';
import { JSDIFF_BROWSER_BUILD, WEB_ROOT } from '../kit/render.js';
import { PAGE_CSP } from '../kit/send.js';
import { type WebDeps, webRouter } from '../web-router.js';

/**
 * The approval panel's script as a browser runs it (jsdiff's browser build, then task.js, in one
 * global scope) on a page without the editor: it only defines its diff.
 */
function browserLineDiff(): (before: string, after: string) => DiffLine[] {
  const window: Record<string, unknown> = { document: { getElementById: () => null } };
  window.globalThis = window;
  const context = vm.createContext(window);
  vm.runInContext(readFileSync(JSDIFF_BROWSER_BUILD, 'utf8'), context);
  vm.runInContext(readFileSync(path.join(WEB_ROOT, 'static/task.js'), 'utf8'), context);
  const diff = window.loopgateLineDiff as (before: string, after: string) => DiffLine[];
  // Arrays made in another realm: compare them as plain data.
  return (before, after) => JSON.parse(JSON.stringify(diff(before, after)));
}

const json = (value: unknown) => payloadText(value as never);
const lines = (count: number, word: string) => Array.from({ length: count }, (_, i) => `${word} ${i}`).join('\n');

describe('the live diff in the browser is the diff the server confirms', () => {
  const browser = browserLineDiff();

  test.each([
    ['a changed JSON value', json({ amount: 50, currency: 'EUR' }), json({ amount: 40, currency: 'EUR' })],
    ['a JSON key added and one removed', json({ a: 1, b: [1, 2] }), json({ b: [1, 2, 3], c: { d: null } })],
    ['an item dropped from a JSON list', json({ items: [1, 2, 3] }), json({ items: [1, 3] })],
    // The browser's hand-written LCS said "- b, + a" here; jsdiff (and so the confirm step) says "+ a, - b".
    ['a repeated line replaced', 'Thanks!\nThanks!', 'Hello\nThanks!'],
    ['lines moved around', 'c\nc\nc\na', 'c\na\nc\na'],
    ['a trailing newline added', 'Dear customer,\nwe refund 50 EUR.', 'Dear customer,\nwe refund 50 EUR.\n'],
    ['everything deleted', 'one\ntwo', ''],
    ['nothing changed', json({ same: true }), json({ same: true })],
    // Past jsdiff's edit limit both give "all removed, all added"; the old LCS showed no diff at all.
    ['a rewrite beyond the edit limit', lines(1001, 'old'), lines(1001, 'new')],
  ])('%s', (_name, before, after) => {
    const server = lineDiff(before, after);
    expect(browser(before, after)).toEqual(server);
    expect(server.length).toBeGreaterThan(0);
  });

  test('the pages serve the installed jsdiff build under the page CSP, and load it before task.js', async () => {
    const deps = { logger: pino({ level: 'silent' }), publicUrl: 'http://localhost:3000', bodyLimit: '64kb' };
    const app = express().use(webRouter(deps as unknown as WebDeps));
    const res = await request(app).get('/static/jsdiff.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.text).toBe(readFileSync(JSDIFF_BROWSER_BUILD, 'utf8'));
    expect(PAGE_CSP).toContain("script-src 'self'");
    for (const page of ['task', 'review']) {
      const template = readFileSync(path.join(WEB_ROOT, `templates/${page}.eta`), 'utf8');
      expect(template).toContain("scripts: ['/static/jsdiff.js', '/static/task.js']");
    }
  });
});
