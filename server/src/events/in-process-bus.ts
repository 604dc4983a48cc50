import type { TaskChangeMessage, TaskEventBus } from '../domain/ports.js';

/** Task change announcements within one process. Listeners run after the change is committed. */
export class InProcessTaskEventBus implements TaskEventBus {
  private readonly listeners = new Set<(message: TaskChangeMessage) => void>();

  publish(message: TaskChangeMessage): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch {
        // One faulty listener must not keep the others from hearing about the change.
      }
    }
  }

  subscribe(listener: (message: TaskChangeMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
