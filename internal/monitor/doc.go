// Package monitor owns the GSOC's monitoring: sensors registered by the
// monitored organisations (their tokens stored hashed), the batches of
// events they send, the matching of every event's observables against
// the indicators the sensor's organisation may see, and the alerts that
// hits aggregate into. It does no I/O of its own: a Store keeps sensors,
// processed batches, alerts and raw events (or where they are, when
// RawFiles, rawlog's segment files, keeps them); a Publisher carries batches
// from ingest to the processor (NATS JetStream in kyojo serve); an
// Escalator (the incidents part) opens or joins incidents.
//
// Delivery is at least once; processing is idempotent by batch id (the
// store records each batch id in the same transaction as the counts it
// adds), so a batch delivered twice is counted once.
package monitor
