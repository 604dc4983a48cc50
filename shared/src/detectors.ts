import { z } from 'zod';
import { riskLevelSchema } from './risk.js';

/**
 * What sensitive-data classification (issue 17 item 2) records on a task: which detectors fired at
 * which JSON paths — never the values. Apart from classification.ts (the queue config) so that
 * task.ts can name it without an import cycle.
 */

export const DETECTORS = ['email', 'phone', 'iban', 'card', 'ssn', 'ip', 'secret', 'custom'] as const;
export type DetectorKind = (typeof DETECTORS)[number];

/** What a reviewer reads on a chip, and in a mask ("•••• (IBAN)"). */
export const DETECTOR_LABELS: Readonly<Record<DetectorKind, string>> = {
  email: 'E-mail address',
  phone: 'Phone number',
  iban: 'IBAN',
  card: 'Card number',
  ssn: 'US SSN',
  ip: 'IP address',
  secret: 'Secret',
  custom: 'Custom',
};

/** What the label of a finding or a configured detector is: its name when given, else the detector's label. */
export function detectorLabel(detector: { detector: DetectorKind; name?: string | null }): string {
  return detector.name ?? DETECTOR_LABELS[detector.detector];
}

export const classificationFindingSchema = z
  .object({
    detector: z.enum(DETECTORS),
    name: z.string().nullable().describe("The detector's name (custom detectors), null otherwise"),
    paths: z
      .array(z.string())
      .describe(
        'JSON Pointers of the string fields it fired on, prefixed by the document: "/payload/account/iban", "/context/note"',
      ),
  })
  .meta({ id: 'ClassificationFinding' });
export type ClassificationFinding = z.infer<typeof classificationFindingSchema>;

export const taskClassificationSchema = z
  .object({
    findings: z.array(classificationFindingSchema).describe('Which detectors fired where — never the values'),
    raisedTo: riskLevelSchema
      .nullable()
      .describe("The risk level the findings raised the task to (then riskLevel is it); null: the agent's level stood"),
    raisedFrom: riskLevelSchema
      .nullable()
      .describe('When raisedTo is set: the risk level the agent reported (null: none given)'),
    truncated: z
      .boolean()
      .describe(
        'true when the scan stopped at a cap (characters, fields, depth) or found more paths than are kept: parts of the payload were not scanned, so previews outside the app show field names only',
      ),
  })
  .meta({ id: 'TaskClassification' });
export type TaskClassification = z.infer<typeof taskClassificationSchema>;
