import { z } from 'zod';
import { riskLevelSchema, slugSchema } from './task.js';

/**
 * The queue board's columns as a workspace's admin configures them (GET/PUT /api/v1/board): the
 * built-in stages renamed, reordered or hidden, plus columns defined by a filter over open tasks.
 * A card shows in the first filter column it matches; the cards no filter column takes show in
 * their stage's column.
 */

/** The built-in stages, in their default order. Completed is reached by a decision only. */
export const BOARD_STAGES = ['pending', 'in_progress', 'needs_approval', 'escalated', 'completed'] as const;
export type BoardStage = (typeof BOARD_STAGES)[number];
export const boardStageSchema = z.enum(BOARD_STAGES);

/** At most this many columns: a board wider than this helps nobody (and each column is a query). */
export const BOARD_MAX_COLUMNS = 12;

const columnId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,39}$/,
    'Use 1 to 40 lower-case letters, digits, "-" and "_", starting with a letter or digit',
  )
  .describe("Stable id of the column: in the page's links (show=<id>:100) and element ids");
const columnTitle = z.string().trim().min(1, 'A title is required').max(60, 'At most 60 characters');

/** What a filter column selects among open tasks; every field given must match (AND). */
export const boardColumnFilterSchema = z
  .strictObject({
    tag: z.string().trim().min(1).max(64).optional().describe('The task carries this tag'),
    queue: slugSchema.optional().describe('The task is in this queue'),
    source: z.string().trim().min(1).max(64).optional().describe('The task came from this source (api, n8n, …)'),
    riskLevel: riskLevelSchema.optional().describe('The task has exactly this risk level'),
    minLevel: z.number().int().min(1).max(10).optional().describe('The task is on this approval level or a later one'),
  })
  .refine((filter) => Object.values(filter).some((value) => value !== undefined), {
    message: 'Set at least one of tag, queue, source, riskLevel, minLevel',
  });
export type BoardColumnFilter = z.output<typeof boardColumnFilterSchema>;

export const boardColumnSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      id: columnId,
      title: columnTitle,
      hidden: z.boolean().optional().describe('Hidden: the column (and its cards) do not show on the board'),
      kind: z.literal('stage'),
      stage: boardStageSchema,
    }),
    z.strictObject({
      id: columnId,
      title: columnTitle,
      hidden: z.boolean().optional().describe('Hidden: the column does not show and takes no cards'),
      kind: z.literal('filter'),
      filter: boardColumnFilterSchema,
    }),
  ])
  .meta({ id: 'BoardColumn' });
export type BoardColumnConfig = z.output<typeof boardColumnSchema>;

const columnsSchema = z.array(boardColumnSchema).min(1).max(BOARD_MAX_COLUMNS, `At most ${BOARD_MAX_COLUMNS} columns`);

/** Ids unique; each built-in stage exactly once. Problems by path (columns.3.id). */
function checkColumns(config: { columns: BoardColumnConfig[] }, ctx: z.RefinementCtx): void {
  const ids = new Map<string, number>();
  const stages = new Map<string, number>();
  config.columns.forEach((column, index) => {
    if (ids.has(column.id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns', index, 'id'],
        message: `Column id "${column.id}" is used twice`,
      });
    } else ids.set(column.id, index);
    if (column.kind === 'stage') {
      if (stages.has(column.stage)) {
        ctx.addIssue({
          code: 'custom',
          path: ['columns', index, 'stage'],
          message: `Stage "${column.stage}" already has a column (hide a stage rather than repeat it)`,
        });
      } else stages.set(column.stage, index);
    }
  });
  for (const stage of BOARD_STAGES) {
    if (!stages.has(stage)) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message: `Stage "${stage}" needs a column (it may be hidden)`,
      });
    }
  }
}

export const boardConfigSchema = z.strictObject({ columns: columnsSchema }).superRefine(checkColumns);
export type BoardConfig = z.output<typeof boardConfigSchema>;

/** PUT /api/v1/board: the columns, and optionally the version the change was made on. */
export const boardConfigInputSchema = z
  .strictObject({
    columns: columnsSchema,
    version: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The version this change was made from; refused with 409 when the board changed since'),
  })
  .superRefine(checkColumns)
  .meta({ id: 'BoardConfigInput' });
export type BoardConfigInput = z.output<typeof boardConfigInputSchema>;

export const boardConfigViewSchema = z
  .object({
    columns: z.array(boardColumnSchema),
    version: z.number().int().describe('0 until the board is first configured'),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'BoardConfig' });
