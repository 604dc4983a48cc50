/**
 * A scripted OpenAI-compatible chat model for the n8n AI Agent tests: n8n's own OpenAI Chat Model node
 * talks to it through a credential whose Base URL points here, so the agent runs for real with no
 * network and no LLM. `POST /v1/chat/completions` answers by a fixed script and records every request,
 * so a test can assert what the model was shown (the tools' schemas, the tool results, the reviewer's
 * feedback):
 *
 * - a conversation whose last message is not a tool result: call the first tool offered, with the
 *   arguments written as JSON after "Refund " in the user's prompt;
 * - a tool result that hands over approved arguments (the JSON after `approvedArgumentsLabel`):
 *   call the tool again with exactly those, as a model following the reviewer's feedback would;
 * - any other tool result: a final answer that echoes it (`Tool said: <result>`).
 *
 * Streams (SSE chunks) when the request asks for it, as LangChain's ChatOpenAI may.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatMessage {
  role: string;
  content: string | null | { type: string; text?: string }[];
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export interface ChatRequest {
  model: string;
  stream?: boolean;
  messages: ChatMessage[];
  tools?: { type: string; function: { name: string; description?: string; parameters: Record<string, unknown> } }[];
}

export interface ScriptedModel {
  /** e.g. http://127.0.0.1:PORT/v1, the credential's Base URL */
  baseUrl: string;
  requests: ChatRequest[];
  close(): Promise<void>;
}

type Reply = { content: string } | { toolCall: { id: string; name: string; arguments: unknown } };

export function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) return message.content.map((part) => part.text ?? '').join('');
  return '';
}

/**
 * A tool result as the model reads it: n8n hands the agent's tool results over as JSON text (an array
 * of items, a review's feedback under `output`), so the text inside is what a model would follow.
 */
export function toolResultText(message: ChatMessage): string {
  const raw = textOf(message);
  try {
    const parsed = JSON.parse(raw) as unknown;
    const items = Array.isArray(parsed) ? parsed : [parsed];
    const outputs = items.map((item) => (item as { output?: unknown })?.output).filter((o) => typeof o === 'string');
    return outputs.length > 0 ? outputs.join('\n') : raw;
  } catch {
    return raw;
  }
}

/** The JSON object that starts `text` (what follows it on the line is prose). */
function leadingJsonObject(text: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return JSON.parse(text.slice(0, i + 1));
  }
  throw new Error(`no JSON object in ${text}`);
}

/** What the script answers to one request. The tool is called in n8n's gated shape (see createHitlToolkit). */
function scriptedReply(request: ChatRequest, callNumber: number, approvedArgumentsLabel: string): Reply {
  const last = request.messages.at(-1);
  const tool = request.tools?.[0]?.function.name;
  const call = (args: unknown): Reply => ({
    toolCall: {
      id: `call_${callNumber}`,
      name: tool ?? 'missing_tool',
      arguments: { toolParameters: args, hitlParameters: {} },
    },
  });
  if (last?.role !== 'tool') {
    const prompt = [...request.messages].reverse().find((m) => m.role === 'user');
    const text = prompt ? textOf(prompt) : '';
    const json = text.slice(text.indexOf('Refund ') + 'Refund '.length);
    return call(JSON.parse(json));
  }
  const result = toolResultText(last);
  const at = result.indexOf(approvedArgumentsLabel);
  if (at >= 0) return call(leadingJsonObject(result.slice(at + approvedArgumentsLabel.length)));
  return { content: `Tool said: ${textOf(last)}` };
}

function completion(reply: Reply, model: string) {
  const message =
    'content' in reply
      ? { role: 'assistant', content: reply.content }
      : {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: reply.toolCall.id,
              type: 'function',
              function: { name: reply.toolCall.name, arguments: JSON.stringify(reply.toolCall.arguments) },
            },
          ],
        };
  return {
    id: `chatcmpl-${Date.now()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: 'content' in reply ? 'stop' : 'tool_calls' }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

function streamed(reply: Reply, model: string): string {
  const base = {
    id: `chatcmpl-${Date.now()}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
  };
  const delta =
    'content' in reply
      ? { role: 'assistant', content: reply.content }
      : {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              index: 0,
              id: reply.toolCall.id,
              type: 'function',
              function: { name: reply.toolCall.name, arguments: JSON.stringify(reply.toolCall.arguments) },
            },
          ],
        };
  const chunks = [
    { ...base, choices: [{ index: 0, delta, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'content' in reply ? 'stop' : 'tool_calls' }] },
    { ...base, choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } },
  ];
  return `${chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('')}data: [DONE]\n\n`;
}

export async function startScriptedModel(approvedArgumentsLabel: string): Promise<ScriptedModel> {
  const requests: ChatRequest[] = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `not scripted: ${req.method} ${req.url}` } }));
        return;
      }
      const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest;
      requests.push(request);
      let reply: Reply;
      try {
        reply = scriptedReply(request, ++calls, approvedArgumentsLabel);
      } catch (error) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `script failed: ${(error as Error).message}` } }));
        return;
      }
      if (request.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(streamed(reply, request.model));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion(reply, request.model)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
