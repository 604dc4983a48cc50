import type { Principal } from '../../domain/kernel/access.js';
import { deleteSavedView, listSavedViews, savedViewQuery, saveView } from '../../domain/reviewers/saved-views.js';
import type { Store } from '../../domain/store.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';

const ws = 'wsp_saved_views';
const user = (id: string, workspaceId = ws): Principal => ({
  workspaceId,
  role: 'reviewer',
  actor: { type: 'user', id, name: id },
});
const ann = user('usr_ann');
const bo = user('usr_bo');

for (const database of DATABASES) {
  describe(`${database}: saved views`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let now = 1_000;
    const deps = () => ({ store, clock: () => now++ });

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction((tx) => tx.workspaces.insert({ id: ws, slug: 'saved-views', name: 'x', createdAt: 1 }));
    });
    afterAll(async () => close());

    test('a view keeps only the filter parameters, is the owner’s alone, and a taken name needs "replace"', async () => {
      const saved = await saveView(deps(), ann, {
        name: '  My   overdue ',
        query: 'view=list&queue=refunds&breached=1&cursor=abc&fragment=1&show=pending:100&evil=x&tag=',
        replace: false,
      });
      expect(saved).toMatchObject({
        name: 'My overdue',
        query: 'view=list&queue=refunds&breached=1',
        userId: 'usr_ann',
      });
      await saveView(deps(), ann, { name: 'All risky', query: 'risk=critical&sort=due&dir=desc', replace: false });

      expect((await listSavedViews(deps(), ann)).map((v) => [v.name, v.query])).toEqual([
        ['All risky', 'risk=critical&sort=due&dir=desc'],
        ['My overdue', 'view=list&queue=refunds&breached=1'],
      ]);
      expect(await listSavedViews(deps(), bo)).toEqual([]);

      await expect(
        saveView(deps(), ann, { name: 'My overdue', query: 'queue=other', replace: false }),
      ).rejects.toMatchObject({
        code: 'conflict',
      });
      const replaced = await saveView(deps(), ann, { name: 'My overdue', query: 'queue=other', replace: true });
      expect(replaced).toMatchObject({ id: saved.id, query: 'queue=other' });
      // Saving the same filter again under "replace" is not an error either.
      await expect(
        saveView(deps(), ann, { name: 'My overdue', query: 'queue=other', replace: true }),
      ).resolves.toMatchObject({
        id: saved.id,
      });
      // Another user may use the same name for their own view.
      await expect(
        saveView(deps(), bo, { name: 'My overdue', query: 'status=in_review', replace: false }),
      ).resolves.toMatchObject({
        userId: 'usr_bo',
      });

      await expect(deleteSavedView(deps(), bo, saved.id)).rejects.toMatchObject({ code: 'not_found' });
      await deleteSavedView(deps(), ann, saved.id);
      expect((await listSavedViews(deps(), ann)).map((v) => v.name)).toEqual(['All risky']);
      await expect(deleteSavedView(deps(), ann, saved.id)).rejects.toMatchObject({ code: 'not_found' });
    });

    test('names are 1 to 60 characters; views are per workspace', async () => {
      await expect(saveView(deps(), ann, { name: '   ', query: '', replace: false })).rejects.toMatchObject({
        code: 'validation_failed',
      });
      await expect(saveView(deps(), ann, { name: 'x'.repeat(61), query: '', replace: false })).rejects.toMatchObject({
        code: 'validation_failed',
      });
      await expect(
        saveView(deps(), ann, { name: 'é'.repeat(60), query: 'q=ü', replace: false }),
      ).resolves.toMatchObject({
        name: 'é'.repeat(60),
      });
      expect(await listSavedViews(deps(), user('usr_ann', 'wsp_elsewhere'))).toEqual([]);
    });

    test('an API key has no saved views', async () => {
      const key: Principal = { workspaceId: ws, role: 'reviewer', actor: { type: 'api_key', id: 'key_x', name: 'k' } };
      expect(await listSavedViews(deps(), key)).toEqual([]);
      await expect(saveView(deps(), key, { name: 'x', query: '', replace: false })).rejects.toMatchObject({
        code: 'forbidden',
      });
    });
  });
}

test('savedViewQuery keeps the kept parameters in a fixed order', () => {
  expect(savedViewQuery('?dir=asc&sort=title&view=list&cursor=x')).toBe('view=list&sort=title&dir=asc');
});
