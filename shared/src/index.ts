export * from './errors.js';
export * from './task.js';
export * from './webhooks.js';
