export * from './api-keys.js';
export * from './caller.js';
export * from './deliveries.js';
export * from './errors.js';
export * from './json.js';
export * from './queue.js';
export * from './task.js';
export * from './webhooks.js';
