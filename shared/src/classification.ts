import { z } from 'zod';
import { DETECTORS } from './detectors.js';
import { patternProblem } from './field-conditions.js';
import { riskLevelSchema } from './task.js';

/**
 * Sensitive-data classification (issue 17 item 2): detectors a queue enables that scan the payload
 * and context before routing. A detector that fires raises the task's risk to the level the queue
 * maps it to (never lowers it), and the task records which detectors fired at which JSON paths —
 * never the values. The detectors themselves run on the server (domain/approvals/classification.ts).
 */

export const MAX_DETECTORS = 20;

export const detectorConfigSchema = z
  .strictObject({
    detector: z.enum(DETECTORS),
    raiseTo: riskLevelSchema.describe(
      "The risk level a task is raised to when this detector fires; a higher agent's level stays",
    ),
    name: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .optional()
      .describe('custom: required, what chips and masks call it ("Employee id"); others: optional, replaces the label'),
    pattern: z
      .string()
      .optional()
      .describe('custom only: an RE2 pattern (linear-time; no lookaround or backreferences)'),
  })
  .superRefine((detector, ctx) => {
    if (detector.detector === 'custom') {
      if (detector.name === undefined)
        ctx.addIssue({ code: 'custom', path: ['name'], message: 'a custom detector needs a name' });
      if (detector.pattern === undefined) {
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'a custom detector needs a pattern' });
      } else {
        const problem = patternProblem(detector.pattern);
        if (problem) ctx.addIssue({ code: 'custom', path: ['pattern'], message: problem });
      }
    } else if (detector.pattern !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'only a custom detector takes a pattern' });
    }
  })
  .meta({ id: 'DetectorConfig' });
export type DetectorConfig = z.infer<typeof detectorConfigSchema>;

export const classificationConfigSchema = z
  .strictObject({
    detectors: z.array(detectorConfigSchema).max(MAX_DETECTORS).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.detectors.forEach((detector, index) => {
      const key = detector.detector === 'custom' ? `custom:${detector.name ?? ''}` : detector.detector;
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['detectors', index],
          message:
            detector.detector === 'custom' ? 'custom detector names must be distinct' : 'each detector at most once',
        });
      }
      seen.add(key);
    });
  })
  .meta({ id: 'ClassificationConfig' });
export type ClassificationConfig = z.infer<typeof classificationConfigSchema>;
