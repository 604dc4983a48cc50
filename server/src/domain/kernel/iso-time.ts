/** Times are epoch milliseconds inside Loopgate and ISO 8601 strings on the wire. */
export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
