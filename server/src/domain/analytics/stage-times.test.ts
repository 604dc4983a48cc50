import { type StageEvent, timeInStages } from './stage-times.js';

const S = 1000;
const at = (seconds: number) => seconds * S;
const event = (type: string, seconds: number, extra: Partial<StageEvent> = {}): StageEvent => ({
  type,
  toStatus: null,
  data: null,
  createdAt: at(seconds),
  ...extra,
});

describe('time in board stages, replayed from task events', () => {
  test('a task nobody claimed waited in Pending from creation to its close', () => {
    expect(
      timeInStages({ createdAt: 0, closedAt: at(90) }, [event('created', 0, { toStatus: 'pending_review' })]),
    ).toEqual({
      pending: at(90),
    });
  });

  test('an auto-approved task was never on the board', () => {
    expect(timeInStages({ createdAt: 0, closedAt: 0 }, [event('created', 0, { toStatus: 'approved' })])).toEqual({});
  });

  test('claim, release and claim again add up per stage', () => {
    const events = [event('claimed', 10), event('released', 25), event('claimed', 40)];
    // Pending 0–10 and 25–40; In Progress 10–25 and 40–100.
    expect(timeInStages({ createdAt: 0, closedAt: at(100) }, events)).toEqual({ pending: at(25), in_progress: at(75) });
  });

  test('a vote moves it to Needs Approval; the next level is offered unclaimed; a reassignment drops the claim', () => {
    const events = [
      event('vote', 30, { toStatus: 'in_review' }),
      event('claimed', 50, { toStatus: 'in_review' }),
      event('level_approved', 70, { toStatus: 'in_review' }),
      event('claimed', 80, { toStatus: 'in_review' }),
      event('escalated', 90, { toStatus: 'in_review', data: { step: 'reassign', group: 'leads' } }),
    ];
    // Pending 0–30; Needs Approval 30–50 and 70–80; In Progress 50–70 and 80–90; Escalated 90–120.
    expect(timeInStages({ createdAt: 0, closedAt: at(120) }, events)).toEqual({
      pending: at(30),
      needs_approval: at(30),
      in_progress: at(30),
      escalated: at(30),
    });
  });

  test('a reminder leaves the card where it is; once escalated it stays there until it closes', () => {
    const events = [
      event('escalated', 20, { data: { step: 'reminder', index: 0 } }),
      event('escalated', 60, { data: { step: 'raise_priority', index: 1 } }),
      event('claimed', 70),
    ];
    expect(timeInStages({ createdAt: 0, closedAt: at(100) }, events)).toEqual({ pending: at(60), escalated: at(40) });
  });

  test('events are taken in time order, and nothing counts past the close', () => {
    const events = [event('released', 30), event('claimed', 10), event('claimed', 500)];
    expect(timeInStages({ createdAt: 0, closedAt: at(50) }, events)).toEqual({ pending: at(30), in_progress: at(20) });
  });
});
