import type { Store } from '../../domain/store.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { userRecord } from '../../test-support/user-records.js';

const ws = 'wsp_slack';

for (const database of DATABASES) {
  describe(`${database}: slack repository`, () => {
    let store: Store;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: ws, slug: 'slack', name: 'x', createdAt: 1 });
        await tx.users.insert(userRecord('usr_1', 'one@example.com'));
        await tx.users.insert(userRecord('usr_2', 'two@example.com'));
      });
    });
    afterAll(async () => close());

    test('integrations come back as written, listed oldest first, deleted within their workspace', async () => {
      const base = { workspaceId: ws, webhookUrl: 'https://hooks.slack.com/x', signingSecret: 's3cret' };
      const all = [
        { ...base, id: 'slk_1', queue: null, createdAt: 10 },
        { ...base, id: 'slk_2', queue: 'refunds', createdAt: 20 },
      ];
      await store.transaction(async (tx) => {
        for (const integration of all) await tx.slack.insertIntegration(integration);
      });
      expect(await store.read.slack.findIntegration('slk_2')).toEqual(all[1]);
      expect(await store.read.slack.findIntegration('slk_none')).toBeNull();
      expect(await store.read.slack.listIntegrations(ws)).toEqual(all);
      expect(await store.transaction((tx) => tx.slack.deleteIntegration('wsp_other', 'slk_1'))).toBe(false);
      expect(await store.transaction((tx) => tx.slack.deleteIntegration(ws, 'slk_1'))).toBe(true);
      expect(await store.read.slack.listIntegrations(ws)).toEqual([all[1]]);
    });

    test('a user link is made once and then moved to another user', async () => {
      const link = { integrationId: 'slk_2', workspaceId: ws, slackUserId: 'U123', userId: 'usr_1', createdAt: 30 };
      await store.transaction((tx) => tx.slack.upsertUserLink(link));
      expect(await store.read.slack.findUserLink('slk_2', 'U123')).toEqual(link);
      await store.transaction((tx) => tx.slack.upsertUserLink({ ...link, userId: 'usr_2', createdAt: 40 }));
      expect(await store.read.slack.findUserLink('slk_2', 'U123')).toEqual({ ...link, userId: 'usr_2' });
      expect(await store.read.slack.findUserLink('slk_2', 'U999')).toBeNull();
    });

    test('the integration audit keeps the newest entries first, details cut at 1000 characters', async () => {
      await store.transaction(async (tx) => {
        await tx.slack.appendAudit({ workspaceId: ws, source: 'slack', outcome: 'ok', detail: 'first', createdAt: 1 });
        await tx.slack.appendAudit({
          workspaceId: null,
          source: 'slack',
          outcome: 'refused',
          detail: 'x',
          createdAt: 2,
        });
        await tx.slack.appendAudit({
          workspaceId: ws,
          source: 'slack',
          outcome: 'bad',
          detail: 'd'.repeat(1500),
          createdAt: 3,
        });
      });
      expect(await store.read.slack.listAudit(ws, 10)).toEqual([
        { workspaceId: ws, source: 'slack', outcome: 'bad', detail: 'd'.repeat(1000), createdAt: 3 },
        { workspaceId: ws, source: 'slack', outcome: 'ok', detail: 'first', createdAt: 1 },
      ]);
      expect(await store.read.slack.listAudit(ws, 1)).toHaveLength(1);
    });

    test('refusals are counted per window, apart for unknown integrations, newest window first', async () => {
      const refuse = (workspaceId: string | null, reason: string, windowStart: number, at: number) =>
        store.transaction((tx) => tx.slack.countRefusal({ workspaceId, source: 'slack', reason, windowStart, at }));
      expect(await refuse(ws, 'bad_signature', 1_000, 1_001)).toBe(1);
      expect(await refuse(ws, 'bad_signature', 1_000, 1_002)).toBe(2);
      expect(await refuse(ws, 'stale', 1_000, 1_003)).toBe(1);
      expect(await refuse(ws, 'bad_signature', 2_000, 2_001)).toBe(1);
      expect(await refuse(null, 'bad_signature', 1_000, 1_004)).toBe(1);
      expect(await store.read.slack.listRefusals(ws, 1_000)).toEqual([
        { workspaceId: ws, source: 'slack', reason: 'bad_signature', windowStart: 2_000, refused: 1, lastAt: 2_001 },
        { workspaceId: ws, source: 'slack', reason: 'bad_signature', windowStart: 1_000, refused: 2, lastAt: 1_002 },
        { workspaceId: ws, source: 'slack', reason: 'stale', windowStart: 1_000, refused: 1, lastAt: 1_003 },
      ]);
      expect(await store.read.slack.listRefusals(ws, 1_500)).toHaveLength(1);
      expect(await store.read.slack.listRefusals(null, 0)).toEqual([
        { workspaceId: null, source: 'slack', reason: 'bad_signature', windowStart: 1_000, refused: 1, lastAt: 1_004 },
      ]);
    });
  });
}
