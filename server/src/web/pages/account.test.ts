import request from 'supertest';
import { mailPreferences } from '../../domain/reviewers/mail-settings.js';
import { DATABASES } from '../../test-support/databases.js';
import { PASSWORD, usePageWorld } from '../../test-support/page-world.js';
import { csrfOf, logInAs } from '../../test-support/web-login.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

const NEW_PASSWORD = 'a brand new passphrase';

/** The message shown beside a field, if any. */
const fieldError = (html: string, field: string) =>
  new RegExp(`<p class="field-error" id="${field}-error">([^<]*)</p>`).exec(html)?.[1] ?? null;
const fieldValue = (html: string, field: string) => new RegExp(`name="${field}"[^>]*value="([^"]*)"`).exec(html)?.[1];

for (const database of DATABASES) {
  describe(`${database}: account page`, () => {
    const w = usePageWorld(database, {
      users: [
        ['admin@example.com', 'admin'],
        ['rev@example.com', 'reviewer'],
        ['changer@example.com', 'reviewer'],
        ['guesser@example.com', 'reviewer'],
        ['view@example.com', 'viewer'],
      ],
    });

    test('signed out, /account sends to the login form; the header links it for every role', async () => {
      const res = await request(w.app).get('/account').set('Accept', 'text/html');
      expect([res.status, res.headers.location]).toEqual([303, `/login?next=${encodeURIComponent('/account')}`]);
      const post = await request(w.app).post('/account/settings').type('form').send({ timeZone: 'UTC' });
      expect(post.status).toBe(401);
      for (const email of ['admin@example.com', 'rev@example.com', 'view@example.com']) {
        const { agent } = await w.login(email);
        expect((await agent.get('/board')).text).toContain('<a href="/account">Account</a>');
        const page = await agent.get('/account');
        expect(page.status).toBe(200);
        expect(page.text).toContain(`Signed in as <strong>${email}</strong>`);
        expect(page.text).toContain('action="/account/password"');
        expect(page.text).toContain('action="/account/settings"');
      }
    });

    test('a form without the session CSRF token is refused with 403 and changes nothing', async () => {
      const { agent } = await w.login('rev@example.com');
      const noToken = await agent
        .post('/account/password')
        .type('form')
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });
      expect(noToken.status).toBe(403);
      const settings = await agent.post('/account/settings').type('form').send({ _csrf: 'wrong', timeZone: 'UTC' });
      expect(settings.status).toBe(403);
      // The old password still logs in; no settings were written.
      await expect(logInAs(w.app, 'rev@example.com', PASSWORD)).resolves.toBeDefined();
      expect(await w.store.read.users.findMailSettings(w.users['rev@example.com']!)).toEqual({
        timeZone: null,
        mailMode: null,
        mailsPerHour: null,
      });
    });

    test('a wrong current password, a short or mismatched new one: each refused beside its field, nothing changed', async () => {
      const { agent, csrf } = await w.login('rev@example.com');
      const wrong = await agent.post('/account/password').type('form').send({
        _csrf: csrf,
        currentPassword: 'not my password',
        newPassword: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      });
      expect(wrong.status).toBe(400);
      expect(fieldError(wrong.text, 'currentPassword')).toBe('That is not your current password');
      expect(wrong.text).toContain('Your password was not changed');
      // Passwords are never sent back into the page.
      expect(wrong.text).not.toContain(NEW_PASSWORD);
      expect(wrong.text).not.toContain('not my password');

      const both = await agent
        .post('/account/password')
        .type('form')
        .send({ _csrf: csrf, currentPassword: PASSWORD, newPassword: 'short', confirmPassword: 'shorter' });
      expect(both.status).toBe(400);
      expect(fieldError(both.text, 'currentPassword')).toBeNull();
      expect(fieldError(both.text, 'newPassword')).toBe('Passwords need at least 12 characters');
      expect(fieldError(both.text, 'confirmPassword')).toBe('The two new passwords are not the same');
      expect(both.text).toContain('aria-invalid="true" aria-describedby="newPassword-error"');

      await expect(logInAs(w.app, 'rev@example.com', PASSWORD)).resolves.toBeDefined();
      await expect(logInAs(w.app, 'rev@example.com', NEW_PASSWORD)).rejects.toThrow(/login failed/);
    });

    test('wrong current passwords spend the login budget: the sixth in a row is refused before it is checked', async () => {
      const { agent, csrf } = await w.login('guesser@example.com');
      const guess = (currentPassword: string) =>
        agent
          .post('/account/password')
          .type('form')
          .send({ _csrf: csrf, currentPassword, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });
      for (let i = 0; i < 5; i++) expect((await guess(`guess number ${i}`)).status).toBe(400);
      const refused = await guess(PASSWORD);
      expect(refused.status).toBe(429);
      expect(fieldError(refused.text, 'currentPassword')).toMatch(
        /^Too many wrong current passwords for this account; try again in \d+ min$/,
      );
      // Even the right password was not taken while refused, and the login form shares the budget.
      await expect(logInAs(w.app, 'guesser@example.com', NEW_PASSWORD)).rejects.toThrow(/login failed: 429/);
    });

    test('a change ends every other session of the user, keeps this one, and the page says so', async () => {
      const here = await w.login('changer@example.com');
      const phone = await w.login('changer@example.com');
      const other = await w.login('rev@example.com');
      const res = await here.agent.post('/account/password').type('form').send({
        _csrf: here.csrf,
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      });
      expect([res.status, res.headers.location]).toEqual([303, expect.stringMatching(/^\/account\?notice=/)]);
      const after = await here.agent.get(res.headers.location as string);
      expect(after.status).toBe(200);
      expect(after.text).toContain(
        'Password changed. You were logged out everywhere else; this browser stays logged in.',
      );
      // This session still works, with its CSRF token.
      expect(csrfOf(after.text)).toBe(here.csrf);
      expect((await here.agent.get('/board')).status).toBe(200);
      // The other browser is logged out; another user's session is untouched.
      const phoneBoard = await phone.agent.get('/board').set('Accept', 'text/html');
      expect([phoneBoard.status, phoneBoard.headers.location]).toEqual([303, expect.stringMatching(/^\/login/)]);
      expect((await other.agent.get('/board')).status).toBe(200);
      // The new password logs in, the old one no longer does.
      await expect(logInAs(w.app, 'changer@example.com', NEW_PASSWORD)).resolves.toBeDefined();
      await expect(logInAs(w.app, 'changer@example.com', PASSWORD)).rejects.toThrow(/login failed: 401/);
    });

    test('time zone, digest and cap are saved, shown again, and used by mail; an empty field means the default', async () => {
      const { agent, csrf } = await w.login('view@example.com');
      const fresh = await agent.get('/account');
      expect(fieldValue(fresh.text, 'timeZone')).toBe('');
      expect(fresh.text).toContain('<option value="each" selected>');
      const res = await agent
        .post('/account/settings')
        .type('form')
        .send({ _csrf: csrf, timeZone: 'europe/berlin', mailMode: 'hourly', mailsPerHour: '7' });
      expect([res.status, res.headers.location]).toEqual([
        303,
        `/account?notice=${encodeURIComponent('Settings saved.')}`,
      ]);
      const page = await agent.get(res.headers.location as string);
      expect(page.text).toContain('Settings saved.');
      expect(fieldValue(page.text, 'timeZone')).toBe('Europe/Berlin');
      expect(page.text).toContain('<option value="hourly" selected>');
      expect(fieldValue(page.text, 'mailsPerHour')).toBe('7');
      expect(await w.store.read.users.findMailSettings(w.users['view@example.com']!)).toEqual({
        timeZone: 'Europe/Berlin',
        mailMode: 'hourly',
        mailsPerHour: 7,
      });
      // Review mail reads the same storage.
      const userId = w.users['view@example.com']!;
      const [membership] = await w.store.read.members.workspacesOf(userId);
      expect(await mailPreferences(w.store.read, membership!.workspaceId, userId)).toEqual({
        timeZone: 'Europe/Berlin',
        mailMode: 'hourly',
        mailsPerHour: 7,
      });
      await agent
        .post('/account/settings')
        .type('form')
        .send({ _csrf: csrf, timeZone: '', mailMode: 'daily', mailsPerHour: '' });
      expect(await w.store.read.users.findMailSettings(w.users['view@example.com']!)).toEqual({
        timeZone: null,
        mailMode: 'daily',
        mailsPerHour: null,
      });
    });

    test('a bad time zone or cap is refused beside its field, what was typed comes back escaped, nothing is saved', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      await agent
        .post('/account/settings')
        .type('form')
        .send({ _csrf: csrf, timeZone: 'Asia/Tokyo', mailMode: 'each', mailsPerHour: '3' });
      const res = await agent
        .post('/account/settings')
        .type('form')
        .send({ _csrf: csrf, timeZone: 'Mars/Olympus_Mons', mailMode: 'daily', mailsPerHour: '1000' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('Your settings were not saved');
      expect(fieldError(res.text, 'timeZone')).toContain('is not a time zone; use a name like Europe/Berlin or UTC');
      expect(fieldError(res.text, 'mailsPerHour')).toBe('a whole number from 1 to 200');
      expect(fieldError(res.text, 'mailMode')).toBeNull();
      expect(fieldValue(res.text, 'timeZone')).toBe('Mars/Olympus_Mons');
      expect(fieldValue(res.text, 'mailsPerHour')).toBe('1000');
      expect(res.text).toContain('<option value="daily" selected>');
      expect(await w.store.read.users.findMailSettings(w.users['admin@example.com']!)).toEqual({
        timeZone: 'Asia/Tokyo',
        mailMode: 'each',
        mailsPerHour: 3,
      });
      for (const [name, hostile] of XSS_CORPUS) {
        const echoed = await agent
          .post('/account/settings')
          .type('form')
          .send({ _csrf: csrf, timeZone: hostile, mailsPerHour: hostile });
        expect([name, echoed.status, inertnessProblems(echoed.text, hostile)]).toEqual([name, 400, []]);
      }
    });
  });
}
