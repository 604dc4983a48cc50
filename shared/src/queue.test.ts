import { queueConfigSchema } from './queue.js';

const problems = (cardFields: unknown) => {
  const parsed = queueConfigSchema.safeParse({ cardFields });
  return parsed.success ? [] : parsed.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
};

describe('queue config: cardFields', () => {
  test('up to three distinct RFC 6901 pointers, none by default', () => {
    expect(queueConfigSchema.parse({}).cardFields).toEqual([]);
    expect(queueConfigSchema.parse({ cardFields: ['/amount', '/customer/name', '/a~1b'] }).cardFields).toEqual([
      '/amount',
      '/customer/name',
      '/a~1b',
    ]);
  });

  test('each problem names its entry', () => {
    expect(problems(['/amount', 'amount'])).toEqual([
      ['cardFields.1', expect.stringMatching(/^Must be a JSON Pointer/)],
    ]);
    expect(problems(['/a~2'])).toEqual([['cardFields.0', expect.stringMatching(/^Must be a JSON Pointer/)]]);
    expect(problems(['/'])).toEqual([['cardFields.0', expect.stringMatching(/^Must be a JSON Pointer/)]]);
    expect(problems(['/__proto__'])).toEqual([['cardFields.0', expect.stringMatching(/^Must be a JSON Pointer/)]]);
    expect(problems(['/say"hi'])).toEqual([['cardFields.0', 'A card field\'s names may not contain " or \\']]);
    expect(problems(['/a', '/a'])).toEqual([['cardFields.1', 'card fields must be distinct']]);
    expect(problems(['/a', '/b', '/c', '/d'])).toEqual([['cardFields', expect.stringContaining('3')]]);
  });
});
