import { CreateCoreTables1764000000000 } from './1764000000000-create-core-tables.js';

/** Every migration, oldest first. Listed explicitly so the compiled and the test builds find the same set. */
export const MIGRATIONS = [CreateCoreTables1764000000000];
