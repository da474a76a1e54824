// The state interface SSP synchronizes (mosh-protocol.md section 6). The transport knows nothing about what a
// state is: it only diffs, applies, compares and copies. Implementations live in src/statesync/.
//
// Contract: for states A and B where B was derived from A, `A.clone().apply(B.diffFrom(A))` equals B.
// `diffFrom` of an equal state is empty. States are treated as immutable by the transport once handed over:
// the transport clones before applying and never mutates a state it was given.

export interface SyncState<S extends SyncState<S>> {
  /** The diff that turns `older` into this state (an application message, e.g. UserMessage bytes). */
  diffFrom(older: S): Uint8Array;
  /** The diff that turns the initial (state 0) value into this state. Used for full resends. */
  initDiff(): Uint8Array;
  /** Applies a diff produced by `diffFrom` on the peer. Throws on a malformed diff (the caller drops it). */
  apply(diff: Uint8Array): void;
  equals(other: S): boolean;
  clone(): S;
  /**
   * Optional memory optimisation (mosh's "rationalize"): drop the common prefix shared with `front`, the
   * oldest state either side still needs. Must not change what diffFrom/apply produce between retained states.
   */
  subtract?(front: S): void;
}
