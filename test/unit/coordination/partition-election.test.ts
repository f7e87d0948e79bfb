import { describe, expect, it } from 'vitest';
import { nextPartitionState } from '../../../src/coordination/index.js';

const live = (...ids: number[]) => new Set(ids);
const state = { leader: 1, leaderEpoch: 4, isr: [1, 2, 3], replicas: [1, 2, 3] };

describe('nextPartitionState', () => {
  it('changes nothing while the leader and the ISR live', () => {
    expect(nextPartitionState(state, live(1, 2, 3), false)).toBeUndefined();
  });

  it('drops a dead follower from the ISR without touching leader or epoch', () => {
    expect(nextPartitionState(state, live(1, 3), false)).toEqual({ ...state, isr: [1, 3] });
  });

  it('elects the first live ISR member in replica order with epoch+1 when the leader dies', () => {
    expect(nextPartitionState(state, live(2, 3), false)).toEqual({ ...state, leader: 2, leaderEpoch: 5, isr: [2, 3] });
    expect(nextPartitionState({ ...state, replicas: [1, 3, 2] }, live(2, 3), false)).toMatchObject({ leader: 3 });
  });

  it('never elects outside the ISR: offline with leader -1, epoch+1 once, ISR kept', () => {
    const lagging = { ...state, isr: [1] };
    const offline = nextPartitionState(lagging, live(2, 3), false);
    expect(offline).toEqual({ ...lagging, leader: -1, leaderEpoch: 5 });
    expect(nextPartitionState(offline!, live(2, 3), false)).toBeUndefined();
  });

  it('brings an offline partition back when an ISR member returns', () => {
    const offline = { ...state, leader: -1, leaderEpoch: 5, isr: [1] };
    expect(nextPartitionState(offline, live(1, 2), false)).toEqual({ ...offline, leader: 1, leaderEpoch: 6, isr: [1] });
  });

  it('with unclean election allowed, takes the first live replica and makes it the whole ISR', () => {
    const offline = { ...state, leader: -1, leaderEpoch: 5, isr: [1] };
    expect(nextPartitionState(offline, live(3), true)).toEqual({ ...offline, leader: 3, leaderEpoch: 6, isr: [3] });
    expect(nextPartitionState(offline, live(), true)).toBeUndefined();
  });
});
