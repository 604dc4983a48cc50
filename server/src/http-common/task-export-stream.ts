import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Response } from 'express';
import { EXPORT_COLUMNS, type ExportRow } from '../domain/tasks/export-tasks.js';

export type ExportFormat = 'csv' | 'jsonl';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/jsonl; charset=utf-8',
};

/**
 * Writes an export as the client reads it (backpressure through the pipeline), for the API and the
 * board's Export link alike: one page of rows in memory, never the file. CSV has a header row and a
 * cell starting with = + - @ tab or CR gets a leading ' (csv-stringify's escape_formulas), so a
 * spreadsheet shows agent-written text instead of running it.
 */
export async function streamTaskExport(res: Response, rows: AsyncIterable<ExportRow>, format: ExportFormat) {
  const encode =
    format === 'csv'
      ? stringify({ header: true, columns: [...EXPORT_COLUMNS], escape_formulas: true })
      : new Transform({
          writableObjectMode: true,
          transform(row, _encoding, done) {
            done(null, `${JSON.stringify(row)}\n`);
          },
        });
  const stamp = new Date().toISOString().slice(0, 10);
  res.status(200);
  res.setHeader('Content-Type', CONTENT_TYPES[format]);
  res.setHeader('Content-Disposition', `attachment; filename="loopgate-tasks-${stamp}.${format}"`);
  try {
    await pipeline(Readable.from(rows), encode, res);
  } catch (error) {
    // The status line is gone: a failure mid-export can only cut the stream, which the client
    // sees as an incomplete body. A client that hung up is no failure at all.
    if (!res.destroyed) res.destroy(error as Error);
  }
}
