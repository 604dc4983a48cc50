import { failureFromResponse } from './problem.js';

describe('failureFromResponse', () => {
  test.each([
    [
      'a problem with detail and field errors',
      422,
      {
        type: 'urn:loopgate:problem:validation_failed',
        title: 'The request is not valid',
        status: 400,
        code: 'validation_failed',
        detail: 'confidence: Too big',
        errors: [{ path: 'confidence', message: 'Too big: expected number to be <=1' }],
      },
      {
        code: 'validation_failed',
        httpStatus: 422,
        message: 'Loopgate: confidence: Too big [validation_failed]',
        description: 'confidence: Too big: expected number to be <=1',
      },
    ],
    [
      'a problem with only a title',
      409,
      { code: 'task_already_decided', title: 'The task has already been decided' },
      {
        code: 'task_already_decided',
        httpStatus: 409,
        message: 'Loopgate: The task has already been decided [task_already_decided]',
        description: undefined,
      },
    ],
    [
      'a problem sent as text',
      401,
      '{"code":"unauthorized","detail":"Invalid API key"}',
      {
        code: 'unauthorized',
        httpStatus: 401,
        message: 'Loopgate: Invalid API key [unauthorized]',
        description: 'Authentication is required',
      },
    ],
    [
      "a proxy's HTML page",
      502,
      '<html>Bad gateway</html>',
      {
        code: 'http_502',
        httpStatus: 502,
        message: 'Loopgate: Loopgate answered HTTP 502 [http_502]',
        description: undefined,
      },
    ],
    [
      'a halt (the stop button): its own words and what to do, not a retry',
      423,
      {
        type: 'urn:loopgate:problem:halted',
        title: 'An administrator has halted new tasks here',
        status: 423,
        code: 'halted',
        detail: 'New tasks from source "n8n" are halted by Ann (user) since 2026-02-10T08:00:00.000Z: incident',
      },
      {
        code: 'halted',
        httpStatus: 423,
        message:
          'Loopgate: halted — New tasks from source "n8n" are halted by Ann (user) since 2026-02-10T08:00:00.000Z: incident [halted]',
        description: expect.stringMatching(
          /^An admin pressed the stop button .* Retrying will not help: ask a Loopgate admin to resume it/,
        ),
      },
    ],
    [
      'an unknown code (never trusted as one of ours)',
      418,
      { code: 'teapot', title: 'I am a teapot' },
      { code: 'http_418', httpStatus: 418, message: 'Loopgate: I am a teapot [http_418]', description: undefined },
    ],
  ])('%s', (_name, status, body, expected) => {
    expect(failureFromResponse(status, body)).toEqual(expected);
  });
});
