// Interconnect message types (the u16 in every frame), one table for the whole cluster so two
// subsystems never pick the same number. Ranges per subsystem; add entries, do not renumber (nodes of
// different builds would misread each other).
//   1-99      tests and benchmarks
//   100-199   membership and fencing
//   200-299   replication and commit (2PC)
//   300-399   cache fusion (block transfer)
//   400-499   distributed query (fragments, shuffles, partial aggregates)
//   500-599   recovery (remastering, redo shipping)
export const MessageType = {
  /** Benchmark: echo of the request payload. */
  benchEcho: 1,
  /** Benchmark: a fixed-size "block" answered to a small request. */
  benchBlock: 2,
  /** Replication: one numbered store write from the leader; answered with the follower's durable position. */
  replAppend: 200,
  /** Replication: the follower's durable position (the leader asks before resending). */
  replPosition: 201,
  /** Replication: a full copy of the leader's store, in begin / entries / end messages. */
  replSnapshot: 202,
  /** Replication: drop the bytes of chunks placed elsewhere written up to a batch every node has. */
  replTrim: 203,
  /** Replication: one part of a batch larger than a frame (the last is answered like an append). */
  replPart: 204,
  /** Replication: the leader counts this follower in sync (its commits wait for it): a standby's reads see every acknowledged commit. */
  replInSync: 205,
  /** Replication: a follower asks for (and the leader answers with) a read lease: how long its standby may read locally (read-lease.ts). */
  replReadLease: 206,
  /** Chunk transfer: the bytes of some chunks from a node that holds them. */
  chunkFetch: 300,
  /** Distributed query: run morsels of a parallel fragment over this node's copy of the store (fragment-service.ts). */
  fragmentRun: 400,
  /** Distributed query: take part in a shuffled join — run both sides' morsels, send rows to their owners, answer with this owner's partial aggregate (shuffle-service.ts). */
  shuffleRun: 401,
  /** Distributed query: rows of a shuffled join for the partition this node owns, or a sender's end-of-stream count (shuffle-inbox.ts). */
  shuffleRows: 402,
  /** Distributed query: the coordinator gave up a shuffled join (a participant failed); drop its rows and stop waiting. */
  shuffleAbort: 403,
} as const;
