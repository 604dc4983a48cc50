import type { Store } from '../domain/store.js';

/** The store's transactions, counted: for tests that check how a job batches its work. */
export function countingTransactions(store: Store): { store: Pick<Store, 'transaction'>; count(): number } {
  let transactions = 0;
  return {
    store: {
      transaction: (work) => {
        transactions++;
        return store.transaction(work);
      },
    },
    count: () => transactions,
  };
}
