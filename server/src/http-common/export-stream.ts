import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Response } from 'express';

export type ExportFormat = 'csv' | 'jsonl';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/jsonl; charset=utf-8',
};

/**
 * Writes an export as the client reads it (backpressure through the pipeline), for the task export,
 * the board's Export link and the audit log alike: one page of rows in memory, never the file. CSV
 * has a header row and a cell starting with = + - @ tab or CR gets a leading ' (csv-stringify's
 * escape_formulas), so a spreadsheet shows agent-written text instead of running it.
 */
export async function streamExport<Row extends object>(
  res: Response,
  rows: AsyncIterable<Row>,
  options: ExportEncoding<Row> & { filename: string },
) {
  const stamp = new Date().toISOString().slice(0, 10);
  res.status(200);
  res.setHeader('Content-Type', CONTENT_TYPES[options.format]);
  res.setHeader('Content-Disposition', `attachment; filename="${options.filename}-${stamp}.${options.format}"`);
  try {
    await writeExport(res, rows, options);
  } catch (error) {
    // The status line is gone: a failure mid-export can only cut the stream, which the client
    // sees as an incomplete body. A client that hung up is no failure at all.
    if (!res.destroyed) res.destroy(error as Error);
  }
}

export interface ExportEncoding<Row> {
  format: ExportFormat;
  csvColumns: readonly string[];
  /** Flattens a row into its CSV cells; without it the row's own fields are the cells. */
  csvRow?: (row: Row) => object;
}

/** Encodes `rows` onto `out` as JSON Lines or CSV, at the pace `out` reads (the API, or the CLI's stdout). */
export async function writeExport<Row extends object>(
  out: NodeJS.WritableStream,
  rows: AsyncIterable<Row>,
  options: ExportEncoding<Row>,
): Promise<void> {
  const { format, csvRow } = options;
  const encode =
    format === 'csv'
      ? stringify({ header: true, columns: [...options.csvColumns], escape_formulas: true })
      : new Transform({
          writableObjectMode: true,
          transform(row, _encoding, done) {
            done(null, `${JSON.stringify(row)}\n`);
          },
        });
  const source = Readable.from(rows);
  const shaped =
    format === 'csv' && csvRow
      ? new Transform({
          objectMode: true,
          transform(row, _encoding, done) {
            done(null, csvRow(row as Row));
          },
        })
      : null;
  if (shaped) await pipeline(source, shaped, encode, out);
  else await pipeline(source, encode, out);
}
