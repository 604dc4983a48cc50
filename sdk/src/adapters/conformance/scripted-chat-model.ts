import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import { FakeStreamingChatModel } from '@langchain/core/utils/testing';

/**
 * A scripted model built on LangChain's own fake chat model, for the LangChain-family harnesses
 * (LangGraph, LangChain). Its first turn proposes `calls`, all at once; any later turn (one that
 * already has an AI message in its history) gives a final text answer. Because it answers from
 * the history it is shown rather than from a counter, a model built afresh after a "restart"
 * carries on correctly from whatever the framework persisted.
 */
export class ScriptedChatModel extends FakeStreamingChatModel {
  constructor(
    /** The first turn's tool calls (the suite's ScriptedToolCall fits; other tests name other tools). */
    private readonly calls: readonly { id: string; name: string; args: Record<string, unknown> }[],
    /** Every list of messages the model was shown, across every model built for one run. */
    private readonly seen: BaseMessage[][],
  ) {
    super({ sleep: 0 });
  }

  override async _generate(messages: BaseMessage[]) {
    this.seen.push(messages);
    const answered = messages.some((message) => AIMessage.isInstance(message));
    const next = answered
      ? new AIMessage('All refunds handled.')
      : new AIMessage({
          content: '',
          tool_calls: this.calls.map((call) => ({ id: call.id, name: call.name, args: call.args, type: 'tool_call' })),
        });
    return { generations: [{ text: String(next.content), message: next }] };
  }

  /** LangChain's fake returns a new plain fake from bindTools, which would drop the script; this one keeps it. */
  override bindTools(): this {
    return this;
  }
}

/** The text of every turn after the first, as the suite's `modelSaw()` wants it. */
export function laterTurnsText(seen: BaseMessage[][]): string {
  return seen
    .slice(1)
    .flat()
    .map((message) => (typeof message.content === 'string' ? message.content : JSON.stringify(message.content)))
    .join('\n');
}
