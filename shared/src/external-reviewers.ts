import { z } from 'zod';

/**
 * A workspace's external reviewers allowlist: who a task may name as a reviewer without being a
 * member. Each entry is a lower-cased e-mail address (`ann@partner.example`) or a domain written
 * with its `@` (`@partner.example`, that domain only, not its subdomains). Empty, the default: off.
 */
const allowField = z
  .array(z.string().max(320))
  .max(200)
  .describe(
    'E-mail addresses (ann@partner.example) or domains (@partner.example); empty: nobody outside the workspace',
  );

export const externalReviewersSettingsSchema = z
  .strictObject({ allow: allowField })
  .meta({ id: 'ExternalReviewersSettings' });
export type ExternalReviewersSettings = z.infer<typeof externalReviewersSettingsSchema>;

/** Replaces the allowlist as a whole (send `allow: []` to turn external reviewers off). */
export const updateExternalReviewersInputSchema = z
  .strictObject({ allow: allowField })
  .meta({ id: 'UpdateExternalReviewers' });
export type UpdateExternalReviewersInput = z.infer<typeof updateExternalReviewersInputSchema>;

/** Where an admin changes the setting, for messages that say how to allow someone. */
export const EXTERNAL_REVIEWERS_SETTINGS_PAGE = '/settings/reviewers';
export const EXTERNAL_REVIEWERS_SETTINGS_API = '/api/v1/settings/external-reviewers';
