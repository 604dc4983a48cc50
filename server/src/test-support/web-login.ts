import type { Express } from 'express';
import request from 'supertest';

export type WebAgent = ReturnType<typeof request.agent>;

/** The CSRF token a page embeds (a form's hidden field or the layout's meta tag). */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html) ?? /name="csrf-token" content="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error(`no CSRF token in:\n${html.slice(0, 500)}`);
  return match[1];
}

/** Logs in through the real login form; the agent then carries the session cookie. */
export async function logInAs(
  app: Express,
  email: string,
  password: string,
): Promise<{ agent: WebAgent; csrf: string }> {
  const agent = request.agent(app);
  const form = await agent.get('/login');
  const res = await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfOf(form.text), email, password, next: '/board' });
  if (res.status !== 303) throw new Error(`login failed: ${res.status} ${res.text.slice(0, 300)}`);
  const board = await agent.get('/board');
  return { agent, csrf: csrfOf(board.text) };
}
