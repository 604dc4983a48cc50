/**
 * Opens `open()` before the describe block's tests and closes it after them. The answer can be held
 * from the start (`const d = useOpened(…)` beside the tests): each property is read from the opened
 * value when a test or hook uses it.
 */
export function useOpened<T extends { close(): Promise<void> }>(open: () => Promise<T>): Omit<T, 'close'> {
  let opened: T | undefined;
  beforeAll(async () => {
    opened = await open();
  });
  afterAll(async () => opened?.close());
  return new Proxy({} as Omit<T, 'close'>, {
    get(_target, key) {
      if (!opened) throw new Error(`not open yet: use ${String(key)} inside a test or hook`);
      return Reflect.get(opened, key);
    },
  });
}
