// Package harness is a fault-injection stand-in for an EventStoreDB / KurrentDB cluster,
// for testing esdbstore where no server can run. It is not EventStoreDB and does not
// try to be: it serves, over real gRPC on loopback, the few calls the Go client
// (EventStore-Client-Go v4) makes for esdbstore, and models only the server behaviour
// the store's correctness rests on.
//
// # What it models
//
//   - Streams.Append with the server's commit rule: the expected revision must be the
//     stream's current one, except that an append whose event ids equal, one for one,
//     the events already stored after the expected revision is acknowledged as success
//     without writing anything (the server compares event ids only, never the data).
//     Anything else is WrongExpectedVersion. An append is atomic. Appends larger than
//     the maximum append size (data, metadata and type of every event) are refused with
//     InvalidArgument and the server's "maximum-append-size-exceeded" trailer.
//   - Streams.Read of one stream, forwards or backwards, from a revision, the start or
//     the end, with a count; StreamNotFound for a stream that has no events.
//   - Leaders and followers: a follower serves reads from its own copy, which lags
//     behind the leader while Lag is on; with the requires-leader request header it
//     answers NotLeader (status NotFound with the exception, leader-endpoint-host and
//     leader-endpoint-port trailers the client follows), and without it forwards
//     appends to the leader. With no leader (an election), appends and leader reads
//     are Unavailable.
//   - Gossip.Read (the members, their states and liveness) and
//     ServerFeatures.GetSupportedMethods, which the client calls when it connects.
//   - Faults, chosen per call by a function the test installs (Inject): fail before
//     applying, apply and then fail (the client cannot tell whether it committed),
//     drop the TCP connection before or after applying, delay, stall until the client
//     gives up, or run a hook first (another writer's append landing in between).
//   - Nodes that stop (connection refused, every open connection cut) and start again
//     on the same address.
//
// # What it does not model
//
// Persistence, replication timing, $all, subscriptions, deletes, tombstones, stream
// metadata ($tb, $maxCount), access control, TLS, BatchAppend, link events, and the
// exact texts of the server's messages. Idempotency for ExpectedRevision Any is
// approximated (all the ids already in the stream, in order). Appends on a follower
// are answered only after the whole request has arrived, where a real server may
// refuse after the first message.
package harness
