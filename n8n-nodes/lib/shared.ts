/**
 * The parts of @loopgate/shared the nodes use, imported by relative path on purpose: n8n community
 * packages may not have runtime dependencies, so the build (scripts/build.mjs) bundles these files
 * into dist. Importing the individual modules (not the package index) keeps zod and the schemas out
 * of the bundle; both files are dependency-free.
 */
export { ERROR_CODES, type ErrorCode, isErrorCode } from '../../shared/src/errors.js';
export { verifyWebhook, WebhookVerificationError } from '../../shared/src/webhooks.js';
