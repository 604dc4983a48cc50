import type { Principal } from '../kernel/access.js';
import { mayReadTargetUrl, urlOrigin, viewTargetUrl } from './target-url.js';

const principal = (role: Principal['role'], type: Principal['actor']['type'], id: string): Principal => ({
  workspaceId: 'wsp_1',
  role,
  actor: { type, id, name: id },
});

const RESUME_URL = 'https://n8n.example:5678/webhook-waiting/42/node?signature=tok';

describe('one rule for every view of a target URL', () => {
  const creator = { type: 'api_key' as const, id: 'key_creator' };
  test.each([
    ['an admin', principal('admin', 'user', 'usr_admin'), creator, true],
    ['an admin, for a URL nobody owns (Slack)', principal('admin', 'api_key', 'key_admin'), null, true],
    ['the actor that registered it', principal('reviewer', 'api_key', 'key_creator'), creator, true],
    ['a viewer key with the same id as the owner', principal('viewer', 'api_key', 'key_creator'), creator, true],
    ['another reviewer', principal('reviewer', 'api_key', 'key_other'), creator, false],
    [
      'a user whose id equals a key id (another kind of actor)',
      principal('reviewer', 'user', 'key_creator'),
      creator,
      false,
    ],
    ['a viewer', principal('viewer', 'user', 'usr_viewer'), creator, false],
    ['a reviewer, for a URL nobody owns', principal('reviewer', 'api_key', 'key_creator'), null, false],
    [
      'anyone, for an owner without id (the system)',
      principal('reviewer', 'api_key', 'key_creator'),
      { type: 'system' as const, id: null },
      false,
    ],
    ['a webhook receiver', 'webhook' as const, creator, false],
  ])('%s: whole=%s', (_name, viewer, owner, whole) => {
    expect(mayReadTargetUrl(viewer, owner)).toBe(whole);
    expect(viewTargetUrl(viewer, RESUME_URL, owner)).toBe(whole ? RESUME_URL : 'https://n8n.example:5678');
  });

  test.each([
    ['https://hooks.slack.com/services/T0/B0/secret', 'https://hooks.slack.com'],
    ['http://user:password@127.0.0.1:9/x?token=1#frag', 'http://127.0.0.1:9'],
    ['http://[::1]:8080/resume', 'http://[::1]:8080'],
    ['javascript:alert(1)', 'javascript:'],
    ['not a url', '(invalid URL)'],
  ])('the origin of %s is %s', (url, origin) => {
    expect(urlOrigin(url)).toBe(origin);
  });
});
