/** What became of one write's quorum wait. */
export interface WriteQuorum {
  /** Enough peers acknowledged, in counting ways. */
  readonly ok: boolean;
  /** Peers that answered in time, counted or not. */
  readonly answered: number;
  /** Of those, the ones that do not count (bootstrapping). */
  readonly uncounted: number;
}

/** The one promise for all copies sent to one peer, and the writes (indexes) they carry. */
export interface PeerSend {
  readonly sent: Promise<boolean>;
  readonly writes: readonly number[];
}

/**
 * Waits for every write of a batch to reach its quorum, accounting acknowledgements per peer
 * message rather than per write: `sends` holds one promise per peer, for all the copies sent to
 * it, resolving to whether its acks count. Write i needs `needed[i]` counted acks out of the
 * `asked[i]` peers it was sent to (needed ≤ 0: it has its quorum already). Resolves once every
 * write has its quorum or cannot reach it any more (its peers failed or do not count), or at the
 * deadline, with one outcome per write; never rejects. One timer for the whole batch, however
 * many writes it holds.
 */
export function awaitWriteQuorums(
  sends: readonly PeerSend[],
  needed: Int32Array,
  asked: Int32Array,
  timeoutMs: number,
): Promise<WriteQuorum[]> {
  const n = needed.length;
  const counted = new Int32Array(n);
  const answered = new Int32Array(n);
  const lost = new Int32Array(n); // failed, or answered without counting
  const decided = new Uint8Array(n);
  let open = 0;
  for (let i = 0; i < n; i++) {
    if (needed[i]! <= 0 || asked[i]! < needed[i]!) decided[i] = 1;
    else open++;
  }
  const outcomes = () =>
    Array.from(needed, (need, i) => ({
      ok: counted[i]! >= need,
      answered: answered[i]!,
      uncounted: answered[i]! - counted[i]!,
    }));
  if (open === 0) return Promise.resolve(outcomes());
  return new Promise((resolve) => {
    let settled = false;
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      resolve(outcomes());
    };
    const timer = setTimeout(finish, timeoutMs);
    const decide = (i: number) => {
      decided[i] = 1;
      if (--open === 0) finish();
    };
    for (const { sent, writes } of sends) {
      sent.then(
        (counts) => {
          if (settled) return;
          for (const i of writes) {
            answered[i]!++;
            if (counts) counted[i]!++;
            else lost[i]!++;
            if (decided[i]) continue;
            if (counted[i]! >= needed[i]! || asked[i]! - lost[i]! < needed[i]!) decide(i);
          }
        },
        () => {
          if (settled) return;
          for (const i of writes) {
            lost[i]!++;
            if (!decided[i] && asked[i]! - lost[i]! < needed[i]!) decide(i);
          }
        },
      );
    }
  });
}
