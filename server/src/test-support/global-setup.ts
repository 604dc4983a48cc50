import { createConnection } from 'mysql2/promise';

/**
 * Decides once per `npm test` whether the MySQL half of the storage and API tests runs.
 * MySQL runs when reachable; with LOOPGATE_REQUIRE_MYSQL=1 (CI) an unreachable MySQL fails the run
 * instead of silently testing half the product. Workers inherit the result through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.LOOPGATE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
  const required = process.env.LOOPGATE_REQUIRE_MYSQL === '1';
  const parsed = new URL(url);
  try {
    const connection = await createConnection({
      host: parsed.hostname,
      port: Number(parsed.port || 3306),
      user: decodeURIComponent(parsed.username || 'root'),
      password: decodeURIComponent(parsed.password),
      connectTimeout: 3000,
    });
    await connection.query('SELECT 1');
    await connection.end();
    process.env.LOOPGATE_TEST_MYSQL_AVAILABLE = url;
  } catch (error) {
    if (required) {
      throw new Error(`LOOPGATE_REQUIRE_MYSQL=1 but MySQL at ${url} is not reachable: ${(error as Error).message}`);
    }
    process.env.LOOPGATE_TEST_MYSQL_AVAILABLE = '';
    process.stderr.write(
      `\n⚠  MySQL tests SKIPPED: no MySQL at ${url} (${(error as Error).message}). ` +
        'Set LOOPGATE_TEST_MYSQL_URL or LOOPGATE_REQUIRE_MYSQL=1 to require them.\n\n',
    );
  }
}
