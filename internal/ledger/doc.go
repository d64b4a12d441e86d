// Package ledger owns kyojo's tamper-evident evidence ledger: an append-only
// log of entries (an entry is a kind and a payload, for example an audit
// record's Leaf bytes), hashed into an RFC 6962 Merkle tree, with signed
// checkpoints, inclusion and consistency proofs, payload deletion for
// retention that keeps every proof valid, witness co-signing, and forensic
// bundles that a third party verifies offline with only the hub's public key.
//
// # Use
//
// Open a directory (the hub passes DATA/ledger), Append or AppendBatch
// entries (group commit: concurrent callers share one sync; a call returns
// only once its entries are durable), and serve Checkpoint, InclusionProof
// and ConsistencyProof to verifiers. Verify recomputes everything from the
// stored entries. DeletePayload erases a payload for retention while its
// leaf hash, and so every proof, stays; PlaceHold/ReleaseHold keep entries
// from deletion. Bundle and VerifyBundle make and check forensic bundles
// offline. Cosign lets one ledger instance witness another's checkpoints.
//
// # Library
//
// The tree is golang.org/x/mod/sumdb/tlog and the checkpoints are
// golang.org/x/mod/sumdb/note signed notes. tlog gives RFC 6962 hashing, a
// "stored hash" numbering of every interior node (so proofs need O(log n)
// random reads of a flat file and no in-memory tree), record and tree proofs
// and their checks; note gives C2SP signed notes with Ed25519 keys. Both are
// maintained by the Go team, used by the Go checksum database since 2019, and
// already in kyojo's module graph, so the ledger adds no new module.
// transparency-dev/merkle would have needed its own storage numbering plus a
// second module for notes.
//
// # Leaves
//
// An entry's leaf data is
//
//	0x01 (LeafVersion) || uvarint(len(kind)) || kind || payload
//
// and its leaf hash is the RFC 6962 leaf hash SHA-256(0x00 || leaf data)
// (tlog.RecordHash). Kinds are 1–128 bytes of [a-z0-9._-]; kinds beginning
// "ledger." are the ledger's own entries (deletions, legal holds) and MUST NOT
// be appended by callers.
//
// # Files
//
// A ledger directory holds:
//
//	entries.dat     frames: u32 BE len(leaf data) | u8 flags | u32 BE CRC-32C(len|flags|leaf data) | leaf data
//	                flags bit 0: payload erased (payload bytes are zeros)
//	entries.idx     u64 BE offset of each entry's frame in entries.dat
//	hashes.dat      32-byte tlog stored hashes in stored-hash order (leaves and interior nodes)
//	checkpoints.log frames: u32 BE len | u32 BE CRC-32C | u64 BE data end | signed checkpoint note
//	holds.json      the legal holds in force
//	witness/        checkpoints this instance co-signed as a witness, one file per origin
//	signer.key      note signer key (0600); verifier.key: the public verifier key
//	LOCK            flock'd while a process has the ledger open
//
// Only entries.dat is synced per commit: an Append is durable once its frame
// is. entries.idx and hashes.dat are derived from entries.dat; they are synced
// before a checkpoint is written, and Open rebuilds them from entries.dat for
// the entries after the latest checkpoint. Open truncates a torn frame at the
// end of entries.dat (a crash mid-append); it never truncates below the latest
// checkpoint and reports ErrTampered when checkpointed data is missing.
//
// # Checkpoints
//
// A checkpoint is a C2SP tlog-checkpoint: a signed note whose text is
//
//	<origin>\n<tree size>\n<base64 root hash>\n
//
// signed with the hub's Ed25519 note key whose name is the origin. Witness
// co-signatures are further Ed25519 note signatures on the same text.
package ledger
