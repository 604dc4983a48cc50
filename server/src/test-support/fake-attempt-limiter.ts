import type { AttemptCharge, AttemptLimiter, AttemptVerdict } from '../domain/reviewers/login-limits.js';

/**
 * An AttemptLimiter for domain tests: the same fixed windows and all-or-nothing takes as the real one,
 * on the test's clock, with every charge spent recorded so a test can say which budgets an attempt used.
 */
export class FakeAttemptLimiter implements AttemptLimiter {
  readonly taken: AttemptCharge[] = [];
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  private windowOf(charge: AttemptCharge) {
    const id = `${charge.budget.name}\u0000${charge.key}`;
    const now = this.clock();
    let window = this.windows.get(id);
    if (!window || now >= window.start + charge.budget.windowSeconds * 1000) {
      window = { start: now, used: 0 };
      this.windows.set(id, window);
    }
    return window;
  }

  /** Attempts left in the charge's current window. */
  left(charge: AttemptCharge): number {
    return charge.budget.attempts - this.windowOf(charge).used;
  }

  async take(charges: readonly AttemptCharge[]): Promise<AttemptVerdict> {
    for (const [index, charge] of charges.entries()) {
      const window = this.windowOf(charge);
      if (window.used >= charge.budget.attempts) {
        await this.refund(charges.slice(0, index));
        this.taken.splice(this.taken.length - index, index);
        return {
          allowed: false,
          budget: charge.budget,
          retryAfterMs: window.start + charge.budget.windowSeconds * 1000 - this.clock(),
        };
      }
      window.used += 1;
      this.taken.push(charge);
    }
    return { allowed: true };
  }

  async refund(charges: readonly AttemptCharge[]): Promise<void> {
    for (const charge of charges) this.windowOf(charge).used -= 1;
  }

  async forget(charges: readonly AttemptCharge[]): Promise<void> {
    for (const charge of charges) this.windows.delete(`${charge.budget.name}\u0000${charge.key}`);
  }
}
