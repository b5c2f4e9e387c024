/** What became of one write's quorum wait. */
export interface WriteQuorum {
  /** Enough peers acknowledged. */
  readonly ok: boolean;
  /** Peers that acknowledged in time. */
  readonly answered: number;
}

/** The one promise for all copies sent to one peer, and the writes (indexes) they carry. */
export interface PeerSend {
  readonly sent: Promise<unknown>;
  readonly writes: readonly number[];
}

/**
 * Waits for every write of a batch to reach its quorum, accounting acknowledgements per peer
 * message rather than per write: `sends` holds one promise per peer, for all the copies sent to
 * it, resolving once it acknowledged them. Write i needs `needed[i]` acks out of the `asked[i]`
 * peers it was sent to (needed ≤ 0: it has its quorum already). Resolves once every write has
 * its quorum or cannot reach it any more (too many of its peers failed), or at the
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
  const answered = new Int32Array(n);
  const lost = new Int32Array(n); // failed
  const decided = new Uint8Array(n);
  let open = 0;
  for (let i = 0; i < n; i++) {
    if (needed[i]! <= 0 || asked[i]! < needed[i]!) decided[i] = 1;
    else open++;
  }
  const outcomes = () =>
    Array.from(needed, (need, i) => ({ ok: answered[i]! >= need, answered: answered[i]! }));
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
        () => {
          if (settled) return;
          for (const i of writes) {
            answered[i]!++;
            if (!decided[i] && answered[i]! >= needed[i]!) decide(i);
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
