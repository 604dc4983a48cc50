import type {
  IDataObject,
  IExecuteFunctions,
  IHookFunctions,
  IHttpRequestMethods,
  IHttpRequestOptions,
  ILoadOptionsFunctions,
  IWebhookFunctions,
  JsonObject,
} from 'n8n-workflow';
import { n8nWorkflow } from './n8n-runtime.js';
import { failureFromResponse } from './problem.js';

export const CREDENTIAL_NAME = 'loopgateApi';

type RequestContext = IExecuteFunctions | IHookFunctions | ILoadOptionsFunctions | IWebhookFunctions;

export interface LoopgateRequest {
  method: IHttpRequestMethods;
  /** Path under the base URL, e.g. `/api/v1/tasks`. */
  path: string;
  body?: IDataObject;
  qs?: IDataObject;
  headers?: Record<string, string>;
}

export function normaliseBaseUrl(raw: unknown): string {
  return String(raw ?? '')
    .trim()
    .replace(/\/+$/, '');
}

/**
 * One authenticated call to the Loopgate API. Non-2xx answers become a NodeApiError carrying the
 * server's problem `code` (in the message and in `context.code`) and its message, so "continue on
 * fail" items and error workflows can tell a validation error from a conflict.
 */
export async function loopgateRequest<T = IDataObject>(ctx: RequestContext, request: LoopgateRequest): Promise<T> {
  const credentials = await ctx.getCredentials(CREDENTIAL_NAME);
  const options: IHttpRequestOptions = {
    method: request.method,
    url: `${normaliseBaseUrl(credentials.baseUrl)}${request.path}`,
    json: true,
    headers: { Accept: 'application/json', ...request.headers },
    // Read the status ourselves: n8n's own error for a 4xx hides the problem body's code.
    ignoreHttpStatusErrors: true,
    returnFullResponse: true,
  };
  if (request.body !== undefined) options.body = request.body;
  if (request.qs !== undefined) options.qs = request.qs;
  const response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_NAME, options)) as {
    statusCode: number;
    body: unknown;
  };
  if (response.statusCode >= 200 && response.statusCode < 300) return response.body as T;
  const failure = failureFromResponse(response.statusCode, response.body);
  const { NodeApiError } = n8nWorkflow();
  const error = new NodeApiError(
    ctx.getNode(),
    (typeof response.body === 'object' && response.body !== null ? response.body : {}) as JsonObject,
    { message: failure.message, description: failure.description, httpCode: String(failure.httpStatus) },
  );
  error.context.code = failure.code;
  throw error;
}
