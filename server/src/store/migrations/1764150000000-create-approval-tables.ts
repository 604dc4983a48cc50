import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Queues, reviewer groups, votes, and the workflow columns on tasks (routing outcome, approval
 * level, escalation state). `next_sweep_at` is the next deadline step of an open task; the SLA
 * sweeper reads only rows with `next_sweep_at <= now` through its index, so its cost follows the
 * number of due tasks, not the number of open ones.
 */
export class CreateApprovalTables1764150000000 implements MigrationInterface {
  name = 'CreateApprovalTables1764150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    const json = mysql ? 'mediumtext' : 'text';
    const id = { type: 'varchar', length: '40' } as const;
    const time = { type: 'bigint' } as const;

    await queryRunner.addColumns('tasks', [
      new TableColumn({ name: 'routing_rule', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'routing_reason', type: 'varchar', length: '500', isNullable: true }),
      new TableColumn({ name: 'levels_required', type: 'integer', default: 1 }),
      new TableColumn({ name: 'current_level', type: 'integer', default: 1 }),
      new TableColumn({ name: 'priority', type: 'integer', default: 0 }),
      new TableColumn({ name: 'escalated', type: 'integer', default: 0 }),
      new TableColumn({ name: 'escalation_step', type: 'integer', default: 0 }),
      new TableColumn({ name: 'next_sweep_at', ...time, isNullable: true }),
      new TableColumn({ name: 'assigned_group', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'assignee_type', type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: 'assignee_id', type: 'varchar', length: '40', isNullable: true }),
      new TableColumn({ name: 'assignee_name', type: 'varchar', length: '200', isNullable: true }),
      new TableColumn({ name: 'claimed', type: 'integer', default: 0 }),
    ]);
    // Open tasks created before this migration keep their deadline.
    await queryRunner.query(
      "UPDATE tasks SET next_sweep_at = due_at WHERE due_at IS NOT NULL AND status IN ('pending_review', 'in_review')",
    );
    await queryRunner.createIndices('tasks', [
      // The SLA sweeper: due rows only. Closed tasks have NULL here and are never visited.
      new TableIndex({ name: 'idx_tasks_next_sweep', columnNames: ['next_sweep_at'] }),
      // Least-loaded assignment: open tasks per assignee.
      new TableIndex({ name: 'idx_tasks_ws_assignee_status', columnNames: ['workspace_id', 'assignee_id', 'status'] }),
    ]);

    await queryRunner.createTable(
      new Table({
        name: 'queues',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'config', type: json },
          { name: 'created_at', ...time },
          { name: 'updated_at', ...time },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
        ],
        indices: [{ name: 'idx_queues_ws_name', columnNames: ['workspace_id', 'name'], isUnique: true }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'reviewer_groups',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'created_at', ...time },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
        ],
        indices: [{ name: 'idx_reviewer_groups_ws_name', columnNames: ['workspace_id', 'name'], isUnique: true }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'reviewer_group_members',
        columns: [
          { name: 'group_id', ...id, isPrimary: true },
          { name: 'member_type', type: 'varchar', length: '16', isPrimary: true },
          { name: 'member_id', ...id, isPrimary: true },
          { name: 'position', type: 'integer' },
          { name: 'created_at', ...time },
        ],
        foreignKeys: [
          {
            columnNames: ['group_id'],
            referencedTableName: 'reviewer_groups',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'task_votes',
        columns: [
          // "type:id" of the voter: the primary key is what makes one person, one vote per task.
          { name: 'task_id', ...id, isPrimary: true },
          { name: 'voter_key', type: 'varchar', length: '64', isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'level', type: 'integer' },
          { name: 'action', type: 'varchar', length: '32' },
          { name: 'comment', type: 'text', isNullable: true },
          { name: 'modified_payload', type: json, isNullable: true },
          { name: 'actor_type', type: 'varchar', length: '16' },
          { name: 'actor_id', type: 'varchar', length: '40', isNullable: true },
          { name: 'actor_name', type: 'varchar', length: '200', isNullable: true },
          { name: 'created_at', ...time },
        ],
        foreignKeys: [{ columnNames: ['task_id'], referencedTableName: 'tasks', referencedColumnNames: ['id'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['task_votes', 'reviewer_group_members', 'reviewer_groups', 'queues']) {
      await queryRunner.dropTable(table);
    }
    await queryRunner.dropIndex('tasks', 'idx_tasks_ws_assignee_status');
    await queryRunner.dropIndex('tasks', 'idx_tasks_next_sweep');
    for (const column of [
      'claimed',
      'assignee_name',
      'assignee_id',
      'assignee_type',
      'assigned_group',
      'next_sweep_at',
      'escalation_step',
      'escalated',
      'priority',
      'current_level',
      'levels_required',
      'routing_reason',
      'routing_rule',
    ]) {
      await queryRunner.dropColumn('tasks', column);
    }
  }
}
