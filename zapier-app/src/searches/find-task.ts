import type { Task, TaskPage } from '@loopgate/shared';
import type { Bundle, Search, ZObject } from 'zapier-platform-core';
import { callApi, isNotFound } from '../api.js';
import { SAMPLE_TASK } from '../samples.js';

/** By id (exact), or by external reference (newest first). An unknown id is "not found", not an error. */
async function perform(z: ZObject, bundle: Bundle): Promise<Task[]> {
  const id = String(bundle.inputData.id ?? '').trim();
  const externalRef = String(bundle.inputData.externalRef ?? '').trim();
  if (id !== '') {
    try {
      return [await callApi<Task>(z, bundle, 'GET', `/api/v1/tasks/${encodeURIComponent(id)}`)];
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }
  if (externalRef !== '') {
    const page = await callApi<TaskPage>(z, bundle, 'GET', '/api/v1/tasks', { params: { externalRef, limit: 10 } });
    return page.data;
  }
  throw new z.errors.Error('Give a Task ID or an External Reference', 'validation_failed', 400);
}

export const findTask: Search = {
  key: 'find_task',
  noun: 'Task',
  display: {
    label: 'Find Task',
    description: 'Finds a Loopgate task by its ID or by your external reference, with its status and decision.',
  },
  operation: {
    inputFields: [
      { key: 'id', label: 'Task ID', required: false, helpText: 'tsk_… Takes precedence over External Reference.' },
      {
        key: 'externalRef',
        label: 'External Reference',
        required: false,
        helpText: 'Your reference given at creation; the newest matching task comes first.',
      },
    ],
    perform,
    sample: { ...SAMPLE_TASK },
  },
};
