import { useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { refusal } from '../../test-support/outcomes.js';
import type { Principal } from '../kernel/access.js';
import {
  allowsExternalReviewer,
  guestActor,
  guestLinkKey,
  parseExternalReviewerEntries,
  updateExternalReviewers,
} from './external-reviewers.js';
import { offerReviewLinks } from './review-mail.js';

describe('the external reviewers allowlist', () => {
  test('entries are lower-cased addresses or @domains, without repeats; every bad one is named', () => {
    expect(
      parseExternalReviewerEntries([' Ann@Partner.Example', '@PARTNER.example', '', 'ann@partner.example']),
    ).toEqual(['ann@partner.example', '@partner.example']);
    try {
      parseExternalReviewerEntries(['ok@a.example', 'partner.example', 'a b@c.example', '@x']);
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as { fieldErrors: { path: string }[] }).fieldErrors.map((e) => e.path)).toEqual([
        'allow.1',
        'allow.2',
        'allow.3',
      ]);
    }
  });

  test('a domain allows exactly that domain; an address allows that address, in any case', () => {
    const allow = ['@partner.example', 'solo@freelance.example'];
    expect(allowsExternalReviewer(allow, 'Gus@Partner.example')).toBe(true);
    expect(allowsExternalReviewer(allow, 'gus@sub.partner.example')).toBe(false);
    expect(allowsExternalReviewer(allow, 'gus@partner.example.evil')).toBe(false);
    expect(allowsExternalReviewer(allow, 'solo@freelance.example')).toBe(true);
    expect(allowsExternalReviewer(allow, 'other@freelance.example')).toBe(false);
    expect(allowsExternalReviewer([], 'gus@partner.example')).toBe(false);
  });

  test("a guest's link key fits the link's reviewer column and is the same for any spelling of the address", () => {
    expect(guestLinkKey('Gus@Partner.example')).toBe(guestLinkKey('gus@partner.example'));
    expect(guestLinkKey('gus@partner.example').length).toBeLessThanOrEqual(40);
    expect(guestActor(' Gus@Partner.example')).toEqual({
      type: 'guest',
      id: 'gus@partner.example',
      name: 'gus@partner.example',
    });
  });
});

for (const database of DATABASES) {
  describe(`${database}: guests' votes and levels`, () => {
    const w = useApprovalsWorld(database);
    let guest: Principal;
    const mailDeps = () => ({
      store: w.store,
      clock: w.clock,
      notifier: { send: async (message: (typeof w.mail)[number]) => void w.mail.push(message) },
      publicUrl: 'http://loopgate.test',
    });

    beforeAll(async () => {
      await updateExternalReviewers({ store: w.store, clock: w.clock }, w.as('admin'), { allow: ['@partner.example'] });
      guest = { workspaceId: w.workspaceId, role: 'reviewer', actor: guestActor('gus@partner.example') };
      await w.queue('guest-first', {
        levels: [
          { name: 'partner', group: 'ops', quorum: 2, allowGuests: true },
          { name: 'finance', group: 'compliance' },
        ],
      });
    });

    test('a level with allowGuests counts a guest alongside its group; the next level without it refuses them', async () => {
      const task = await w.create({ queue: 'guest-first', reviewers: ['gus@partner.example'] });
      expect((await w.decide(task.id, guest)).status).toBe('in_review');
      const level1 = await w.decide(task.id, w.as('ops1'));
      expect(level1.workflow.level).toBe(2);
      const refused = await refusal(w.decide(task.id, guest, 'reject', { comment: 'no' }));
      expect([refused.status, refused.code]).toEqual([403, 'guest_not_allowed']);
      expect(refused.message).toContain('Level 2 (finance) does not take decisions from external reviewers');
      expect((await w.decide(task.id, w.as('comp1'))).status).toBe('approved');
      const votes = await w.votes(task.id);
      expect(votes.map((vote) => `${vote.level}:${vote.actor.type}`).sort()).toEqual([
        '1:api_key',
        '1:guest',
        '2:api_key',
      ]);
    });

    test('review mail goes to the guest at a level that takes guests, and to the group where none do', async () => {
      const task = await w.create({ queue: 'guest-first', reviewers: ['gus@partner.example'] });
      w.mail.length = 0;
      const offer = await offerReviewLinks(mailDeps(), w.workspaceId, task.id);
      expect(offer.covered).toEqual(['gus@partner.example']);
      expect(w.mail.map((m) => m.to)).toEqual([['gus@partner.example']]);
      await w.decide(task.id, guest);
      await w.decide(task.id, w.as('ops2'));
      // Level 2 takes no guests, and the task names only a guest: the compliance group's to decide
      // (its member here is an API key, which gets no mail, so nobody is offered it by mail).
      const next = await offerReviewLinks(mailDeps(), w.workspaceId, task.id);
      expect(next.covered).not.toContain('gus@partner.example');
    });
  });
}
