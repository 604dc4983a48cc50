import { createWorkspace } from '../../domain/admin/workspaces.js';
import { createTestDatabase, DATABASES } from '../../test-support/databases.js';
import { deliveryRecord } from '../../test-support/delivery-records.js';
import { rawDataSource } from '../../test-support/raw-data-source.js';
import { taskRecord } from '../../test-support/task-records.js';
import { openStore } from '../open-store.js';
import { RecordTargetUrlOwners1764720000000 } from './1764720000000-record-target-url-owners.js';

const NOW = Date.UTC(2026, 0, 31, 12);

for (const database of DATABASES) {
  test(`${database}: deliveries queued before owners were recorded get their task's creator as the callback's owner`, async () => {
    const db = await createTestDatabase(database);
    try {
      let store = await openStore(db.config);
      const workspaceId = (await createWorkspace({ store, clock: () => NOW }, 'owners')).id;
      const creator = { type: 'api_key' as const, id: 'key_n8n', name: 'n8n' };
      await store.transaction(async (tx) => {
        await tx.tasks.insert(taskRecord(workspaceId, 'tsk_old', NOW, { createdBy: creator }));
        await tx.deliveries.insert(deliveryRecord(workspaceId, 'msg_callback', NOW, { taskId: 'tsk_old' }));
        await tx.deliveries.insert(
          deliveryRecord(workspaceId, 'msg_subscription', NOW, {
            kind: 'subscription',
            taskId: 'tsk_old',
            subscriptionId: 'whk_1',
          }),
        );
      });
      await store.close();

      // The schema as it was before this migration, with those rows in it; then the migration again.
      const source = await rawDataSource(db);
      const runner = source.createQueryRunner();
      try {
        const migration = new RecordTargetUrlOwners1764720000000();
        await migration.down(runner);
        await migration.up(runner);
      } finally {
        await runner.release();
        await source.destroy();
      }

      store = await openStore(db.config);
      try {
        expect((await store.read.deliveries.findById(workspaceId, 'msg_callback'))?.urlOwner).toEqual({
          type: 'api_key',
          id: 'key_n8n',
        });
        // Who subscribed was never recorded: only admins see that URL whole.
        expect((await store.read.deliveries.findById(workspaceId, 'msg_subscription'))?.urlOwner).toBeNull();
      } finally {
        await store.close();
      }
    } finally {
      await db.drop();
    }
  });
}
