import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SqlAuditCheckpointRepository } from './audit-checkpoint-repository.js';
import { SqlAuditRepository } from './audit-repository.js';

const SRC = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [full] : [];
  });
}

/**
 * Nothing in the application updates or deletes an audit row except retention's pruning (issue 16
 * item 5). Every statement that could, in every source file, is listed here with the one place
 * allowed to hold it; a new one fails this test until someone decides it belongs.
 */
describe('the audit log is append-only', () => {
  const writes = sourceFiles(SRC).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const found: string[] = [];
    // UPDATE audit_log …, DELETE FROM audit_log …, TRUNCATE, DROP, REPLACE INTO, and the helpers that
    // build a DELETE from a table name ('audit_log' as an argument of deleteBatch), in any case.
    const patterns = [
      /\bUPDATE\s+audit_log\b/gi,
      /\bDELETE\s+FROM\s+audit_log\b/gi,
      /\bTRUNCATE\s+(TABLE\s+)?audit_log\b/gi,
      /\bREPLACE\s+INTO\s+audit_log\b/gi,
      /\bdeleteBatch\([^)]*'audit_log'/g,
      /\b(delete|update|softDelete|remove)\(\s*['"]audit_log['"]/g,
      /\bUPDATE\s+audit_heads\b/gi,
      /\bDELETE\s+FROM\s+audit_heads\b/gi,
      // Signed checkpoints are never changed or removed, not even by retention: they are the anchor.
      /\b(UPDATE|DELETE\s+FROM|REPLACE\s+INTO|TRUNCATE\s+(TABLE\s+)?)\s*audit_checkpoints\b/gi,
      /\bdeleteBatch\([^)]*'audit_checkpoints'/g,
    ];
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern))
        found.push(`${path.relative(SRC, file)}: ${match[0].replace(/\s+/g, ' ')}`);
    }
    return found;
  });

  test('the only statements that change or remove audit rows are pruning, the head, and the chain migration', () => {
    expect(writes.sort()).toEqual(
      [
        // Retention's prefix delete (prune-audit-log.ts is its only caller).
        "store/audit/audit-repository.ts: deleteBatch(this.sql.dialect, 'audit_log'",
        // The head's counter and last hash: the head is not an entry.
        'store/audit/audit-repository.ts: UPDATE audit_heads',
        'store/audit/audit-repository.ts: UPDATE audit_heads',
        // Chaining the entries written before hashes existed, once, at upgrade.
        'store/migrations/1764840000000-chain-audit-log.ts: UPDATE audit_heads',
        'store/migrations/1764840000000-chain-audit-log.ts: UPDATE audit_log',
      ].sort(),
    );
  });

  test('the repository offers no way to change an entry: append, reads, and the prefix prune only', () => {
    const methods = Object.getOwnPropertyNames(SqlAuditRepository.prototype).filter((name) => name !== 'constructor');
    const writers = methods.filter((name) => !/^(list|find|head|latest|lastSeq)/.test(name));
    expect(writers.sort()).toEqual(['advanceHead', 'append', 'nextSeq', 'prunePrefix', 'restoreHead', 'startLog']);
  });

  test('the checkpoint repository inserts (skipping a seq already signed) and reads, nothing else', () => {
    const methods = Object.getOwnPropertyNames(SqlAuditCheckpointRepository.prototype).filter(
      (name) => name !== 'constructor',
    );
    expect(methods.sort()).toEqual(['insert', 'latest', 'list']);
  });

  test('only retention calls the prune', () => {
    const callers = sourceFiles(SRC)
      .filter((file) => readFileSync(file, 'utf8').includes('.prunePrefix('))
      .map((file) => path.relative(SRC, file));
    expect(callers).toEqual(['domain/audit/prune-audit-log.ts']);
  });
});
