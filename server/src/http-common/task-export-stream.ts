import type { Response } from 'express';
import { EXPORT_COLUMNS, type ExportRow } from '../domain/tasks/export-tasks.js';
import { type ExportFormat, streamExport } from './export-stream.js';

export type { ExportFormat } from './export-stream.js';

/** The task export (API and the board's Export link), through the shared export stream. */
export async function streamTaskExport(res: Response, rows: AsyncIterable<ExportRow>, format: ExportFormat) {
  await streamExport(res, rows, { format, filename: 'loopgate-tasks', csvColumns: EXPORT_COLUMNS });
}
