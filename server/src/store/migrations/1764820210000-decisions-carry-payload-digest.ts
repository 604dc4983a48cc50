import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * A decision stores the SHA-256 of the canonical JSON of what it approved (`payloadDigest`), so an
 * agent that runs something else can be caught by comparing digests, and an audit can show what was
 * approved without the payload. NULL: a rejection, or a decision made before this column.
 */
export class DecisionsCarryPayloadDigest1764820210000 implements MigrationInterface {
  name = 'DecisionsCarryPayloadDigest1764820210000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'tasks',
      new TableColumn({ name: 'decision_payload_digest', type: 'varchar', length: '64', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain SQL: TypeORM's dropColumn reads the table's generated (urgency) columns from a metadata
    // table it keeps only on SQLite, and fails on MySQL.
    await queryRunner.query('ALTER TABLE tasks DROP COLUMN decision_payload_digest');
  }
}
