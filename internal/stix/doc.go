// Package stix owns the STIX 2.1 object model and its validator (OASIS STIX
// Version 2.1, sections 2–7): it parses single objects and bundles, checks
// every object against the rules of the specification for its type, and
// offers the helpers the rest of kyojo needs to index and correlate objects
// (Refs, Observables, SCOID, NewerThan).
//
// Objects stay JSON. An Object holds the exact bytes it was parsed from
// (Raw) together with a decoded view (Props) for inspection; exporting an
// Object writes Raw back unchanged, so an import-then-export round trip
// returns the same members with the same values, numbers included.
//
// The package is pure: no I/O, standard library only apart from kyojo's own
// errs and stix/pattern packages. Parse and ParseBundle are safe for
// concurrent use. The limits (MaxObjectBytes and friends) are package
// variables so that a deployment can tune them; set them once at start-up,
// before any parsing, and never while Parse may run.
//
// # Errors
//
// Parse returns an error built by errs.List: errs.Fields gives every
// problem found, each an *errs.Error whose Field names the property
// ("valid_from", "external_references[2].source_name") and whose Message
// says what is wrong. Malformed JSON is errs.Malformed, a breach of a size
// or depth limit errs.TooLarge, every other rule errs.Invalid. Inside a
// bundle the fields are prefixed with the object's position:
// "objects[3].valid_from".
//
// # Hostile input
//
// Objects are decoded by this package's own JSON reader, which is stricter
// than encoding/json where a difference could be exploited: member names
// are case-sensitive and may not repeat within one JSON object (encoding/json
// keeps the last of two equal names, other consumers the first, so the
// object validated here could differ from the one another system acts on),
// strings must be valid UTF-8, and nesting is limited to MaxDepth (64)
// levels rather than encoding/json's 10,000. An object over MaxObjectBytes
// is rejected with errs.TooLarge before it is decoded; a string over
// MaxStringBytes with errs.TooLarge on its field. FuzzDecodeObject checks
// the reader against encoding/json.
//
// # Rules and readings of the specification
//
//   - Identifiers are "type--UUID". The UUID must have the RFC 4122 variant
//     (10xx) and a version digit 1–8 (RFC 9562, which succeeds RFC 4122,
//     adds 6–8); hex digits of either case are accepted, as the OASIS JSON
//     schemas do. The type part must equal the object's type.
//   - Type names: 3–250 characters of a–z, 0–9 and '-', starting with a
//     letter, not ending with '-', without "--". Property names: 3–250
//     characters of a–z, A–Z, 0–9 and '_'.
//   - Unknown types are accepted when they are custom ("x-" prefix) or
//     declared by an extension-definition based extension of extension_type
//     new-sdo, new-sco or new-sro. For such objects only the common
//     properties that are present are checked.
//   - Unknown top-level properties on standard types: a property whose name
//     starts with "x_" is a custom property and accepted. Any other unknown
//     property is rejected, unless the object carries an extension (keyed by
//     an extension-definition id) whose extension_type is
//     toplevel-property-extension: the specification lets such extensions
//     add top-level properties, and without the definition at hand this
//     package cannot tell which ones, so it accepts them all.
//   - Timestamps are exactly YYYY-MM-DDTHH:MM:SS[.s+]Z with upper-case T and
//     Z, any number of fractional digits; a leap second (:60) is read as the
//     first instant of the next minute.
//   - Lists defined by the specification must not be empty; hashes must have
//     at least one entry. Hash values of the well-known algorithms (MD5,
//     SHA-1, SHA-256, SHA-512, SHA3-256, SHA3-512, …) must be hex of the
//     right length; other algorithm names are accepted (open vocabulary).
//   - A reference is checked for its form and for the type it points to
//     (created_by_ref → identity, object_marking_refs → marking-definition,
//     …). Whether the referenced object exists is not checked: a dangling
//     reference is not an error of the object that holds it, because the
//     target may be known to the receiver or arrive later.
//   - Every key ending in _ref or _refs, at any depth, must hold an
//     identifier or a list of identifiers (specification §3.1 naming rule).
//     In custom content (x_ properties, custom object types) an empty
//     string under a _ref key is read as "no reference" and accepted, as
//     MITRE ATT&CK writes x_mitre_data_source_ref: "".
//   - Time ranges: modified ≥ created, last_seen ≥ first_seen,
//     last_observed ≥ first_observed, valid_until > valid_from (strictly,
//     as the specification says). For relationships the specification
//     requires stop_time > start_time; this package accepts
//     stop_time = start_time (a zero-length interval, which OpenCTI writes
//     for point-in-time relationships) and rejects only stop_time earlier
//     than start_time.
//   - The TLP 1.0 marking definitions whose ids the specification fixes must
//     carry the matching tlp value. OpenCTI exports the TLP 1.0 WHITE id with
//     {"tlp": "clear"}; since TLP 2.0 CLEAR is TLP 1.0 WHITE, "clear" is
//     accepted there. TLP 2.0 definitions use the extension
//     extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d whose
//     tlp_2_0 value must match the fixed ids.
//   - marking-definition objects cannot be versioned: a modified property
//     is rejected.
//   - A bundle without "type" but with a "bundle--…" id is accepted (the
//     OASIS TLP 2.0 example files are written that way); any other type is
//     not a bundle.
package stix
