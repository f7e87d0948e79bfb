/**
 * The controller's rule for a partition's next state given the live brokers, after KRaft's
 * partition change rules: a live leader keeps its epoch and the ISR drops dead members; a dead
 * (or absent) leader is replaced by the first replica in the ISR that is alive, with epoch+1;
 * with no live ISR member the partition goes offline (leader -1, epoch+1 once) and keeps its
 * ISR, unless unclean election is allowed, which takes the first live replica with ISR [it].
 * The ISR never becomes empty. Pure: returns undefined when nothing changes.
 */

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  replicas: number[];
}

export function nextPartitionState(state: PartitionState, live: ReadonlySet<number>, uncleanAllowed: boolean): PartitionState | undefined {
  const liveIsr = state.isr.filter((id) => live.has(id));
  if (state.leader !== -1 && live.has(state.leader)) {
    if (liveIsr.length === state.isr.length) return undefined;
    return { ...state, isr: liveIsr.length > 0 ? liveIsr : [state.leader] };
  }
  const candidate = state.replicas.find((id) => liveIsr.includes(id));
  if (candidate !== undefined) return { ...state, leader: candidate, leaderEpoch: state.leaderEpoch + 1, isr: liveIsr };
  if (uncleanAllowed) {
    const unclean = state.replicas.find((id) => live.has(id));
    if (unclean !== undefined) return { ...state, leader: unclean, leaderEpoch: state.leaderEpoch + 1, isr: [unclean] };
  }
  if (state.leader === -1) return undefined;
  return { ...state, leader: -1, leaderEpoch: state.leaderEpoch + 1 };
}
