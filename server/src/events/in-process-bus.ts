import type { TaskChangeMessage, TaskEventBus } from '../domain/kernel/bus.js';
import type { CacheInvalidation } from '../domain/store.js';

/** Runs every listener, so one faulty listener does not keep the others from hearing the message. */
class Listeners<T> {
  private readonly listeners = new Set<(message: T) => void>();

  emit(message: T): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch {
        // A listener's failure is its own; the others still hear the message.
      }
    }
  }

  add(listener: (message: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Task changes and cache invalidations within one process. Listeners run after the change is committed. */
export class InProcessTaskEventBus implements TaskEventBus {
  private readonly taskListeners = new Listeners<TaskChangeMessage>();
  private readonly invalidationListeners = new Listeners<CacheInvalidation>();

  publish(message: TaskChangeMessage): void {
    this.taskListeners.emit(message);
  }

  subscribe(listener: (message: TaskChangeMessage) => void): () => void {
    return this.taskListeners.add(listener);
  }

  async invalidate(message: CacheInvalidation): Promise<void> {
    this.invalidationListeners.emit(message);
  }

  onInvalidate(listener: (message: CacheInvalidation) => void): () => void {
    return this.invalidationListeners.add(listener);
  }
}
