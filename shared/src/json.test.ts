import { findJsonShapeProblem, MAX_JSON_DEPTH } from './json.js';

describe('findJsonShapeProblem', () => {
  test('depth counts containers, objects and arrays alike', () => {
    expect(findJsonShapeProblem(1, 0)).toBeNull();
    expect(findJsonShapeProblem({}, 1)).toBeNull();
    expect(findJsonShapeProblem({ a: [] }, 1)).toEqual({
      path: 'a',
      message: 'JSON may be nested at most 1 levels deep',
    });
    expect(findJsonShapeProblem({ a: [] }, 2)).toBeNull();
  });

  test('names the path of the first offending value', () => {
    expect(findJsonShapeProblem({ items: [{ note: 'ok' }, { note: 'bad \ud800' }] })).toEqual({
      path: 'items[1].note',
      message: expect.stringMatching(/lone UTF-16 surrogate/),
    });
    expect(findJsonShapeProblem({ ['\udfff']: 1 })?.path).toBe('\udfff');
  });

  test('whole surrogate pairs and ordinary text pass', () => {
    expect(findJsonShapeProblem({ emoji: '😀', text: 'Grüße', list: ['a', null, 2, true] })).toBeNull();
  });

  test('a very deep value is refused without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findJsonShapeProblem(deep)?.message).toBe(`JSON may be nested at most ${MAX_JSON_DEPTH} levels deep`);
  });
});
