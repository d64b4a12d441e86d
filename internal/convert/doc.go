// Package convert owns the converters between outside threat-intelligence
// formats and STIX 2.1: MISP events and feeds, CSV files and plain
// blocklists in; MISP feeds, CSV and plain blocklists out.
//
// Importers are pure: they read an io.Reader or an fs.FS, build STIX 2.1
// objects as JSON themselves (they do not depend on a STIX object model) and
// hand each input record's outcome to an emit function as a Record, in input
// order. A Record carries either a complete STIX object or an *errs.Error
// naming the field and the reason it was rejected; one bad record never
// stops the rest. Each importer returns a Report counting what it read,
// converted and rejected. The error an importer returns is reserved for
// failures of the whole input (an unreadable stream, a document that is not
// JSON at all) and for the error emit returned, which stops the import.
//
// MISP identifiers are deterministic, so importing the same input again
// yields the same STIX ids and a store can update rather than duplicate:
// MISP objects keep their MISP uuid (indicator--<attribute uuid>). Values
// from CSV and plain lists get a new time-ordered UUIDv7 each time (a store
// appends such ids to its index instead of scattering them); their Records
// say Minted, and the importer recognises a value it already holds from
// the same source by the value (see intel.Incoming).
//
// Exporters take STIX objects as JSON and write what they are given; the
// caller filters the objects by what the viewer may see before calling them.
//
// # MISP mapping
//
// An event becomes a report (report--<event uuid>: name = info, published =
// publish_timestamp, else timestamp; labels = the non-TLP tags; object_refs =
// everything converted from the event), its Orgc an identity
// (identity--<org uuid>, the created_by_ref of everything), its link
// attributes the report's external_references and its comment and text
// attributes its description. MISP epoch seconds become RFC 3339 UTC
// timestamps with milliseconds. Event tags tlp:white, tlp:clear, tlp:green,
// tlp:amber, tlp:amber+strict and tlp:red become the TLP 2.0 marking-definition ids (TLPClear …)
// in object_marking_refs of every object of the event.
//
// An attribute with to_ids true becomes an indicator
// (indicator--<attribute uuid>) with the pattern below; one with to_ids
// false becomes observed-data (observed-data--<attribute uuid>) with the
// SCOs below (the first SCO's id is <type>--<attribute uuid>). Types with no
// SCO column are rejected when to_ids is false.
//
//	MISP type                     pattern                                                   SCOs
//	ip-src, ip-dst (addr or CIDR) [ipv4-addr:value = 'a'] (ipv6-addr for IPv6)              ipv4-addr / ipv6-addr
//	ip-src|port, ip-dst|port      [network-traffic:dst_ref.type = 'ipv4-addr' AND           network-traffic + address
//	                               network-traffic:dst_ref.value = 'a' AND
//	                               network-traffic:dst_port = p] (src_* for ip-src)
//	domain, hostname              [domain-name:value = 'd']                                 domain-name
//	domain|ip                     [domain-name:value = 'd' AND                              domain-name + address
//	                               domain-name:resolves_to_refs[*].value = 'a']
//	hostname|port                 [network-traffic:dst_ref.type = 'domain-name' AND …]      network-traffic + domain-name
//	url, uri, link (to_ids)       [url:value = 'u']                                         url
//	md5 sha1 sha224 sha256 sha384 [file:hashes.'SHA-256' = 'h'] (STIX algorithm names)     file
//	sha512 sha3-* ssdeep tlsh
//	filename                      [file:name = 'n']                                         file
//	filename|<hash>, malware-sample [file:name = 'n' AND file:hashes.'MD5' = 'h']          file
//	attachment                    [file:name = 'n']                                         file
//	email, email-addr             [email-addr:value = 'e']                                  email-addr
//	email-src                     [email-message:from_ref.value = 'e']                      email-message + email-addr
//	email-dst                     [email-message:to_refs[*].value = 'e']                    email-message + email-addr
//	email-subject                 [email-message:subject = 's']                             email-message
//	ja3-fingerprint-md5           [network-traffic:x_ja3_fingerprint_md5 = 'h']             network-traffic (custom property)
//	AS                            [autonomous-system:number = 174]                          autonomous-system
//	mac-address                   [mac-addr:value = 'm']                                    mac-addr
//	regkey                        [windows-registry-key:key = 'k']                          windows-registry-key
//	regkey|value                  [windows-registry-key:key = 'k' AND                       windows-registry-key
//	                               windows-registry-key:values[*].data = 'v']
//	mutex                         [mutex:name = 'm']                                        mutex
//	x509-fingerprint-md5/sha1/sha256 [x509-certificate:hashes.'SHA-1' = 'h']               x509-certificate
//	user-agent                    [network-traffic:extensions.'http-request-ext'.           none
//	                               request_header.'User-Agent' = 'ua']
//	port                          [network-traffic:dst_port = p]                            none
//	stix2-pattern                 the value itself, when pattern.Parse accepts it          none
//	vulnerability                 a vulnerability SDO (vulnerability--<uuid>, CVE external reference)
//	link, comment, text, other    (to_ids false) the report's external_references / description
//
// Other types are rejected as unsupported. Attribute tags tlp:* become the
// object's object_marking_refs (replacing the event's), other tags labels;
// first_seen/last_seen give valid_from/valid_until (first/last_observed),
// else the attribute timestamp, else the event's.
//
// A MISP object becomes one indicator (indicator--<object uuid>) when any
// attribute has to_ids true, its attributes' comparisons joined with AND —
// one bracket per SCO type, so [file:name = … AND file:hashes.'MD5' = …] —
// and otherwise observed-data (observed-data--<object uuid>) with the SCOs
// of the same type merged (one file for a file object). Relations are
// read by object: file (filename, hashes, size-in-bytes, mimetype), pe
// (number-sections, imphash), pe-section (hashes and name under
// windows-pebinary-ext sections; indicator only: as observed-data it is a note), domain-ip (ip as resolves_to_refs of the
// domain), ip-port (ip and ports on one network-traffic); other objects by
// attribute type. Attributes of no observable meaning (text, datetime,
// counter, float, link, …) are left out; an object with none left becomes a
// note (note--<object uuid>) with its relations as text.
//
// Galaxy clusters (event or attribute level) become SDOs with the cluster
// uuid: threat-actor; intrusion-set; malware (is_family) for malware,
// ransomware, banker, rat, botnet, stealer, backdoor, android, malpedia;
// tool for tool and exploit-kit; attack-pattern; course-of-action (the
// mitre-, mitre-enterprise-attack- … prefixes are ignored), each with
// an "indicates" relationship from every indicator of its scope (event or
// attribute). Other galaxy types are rejected. MISP sightings of type 0 are
// grouped by attribute and sighting organisation into one sighting
// (sighting--UUIDv5(attribute, org)) with count, first_seen, last_seen and
// where_sighted_refs the organisation's identity; false-positive (1) and
// expiration (2) sightings are rejected. A cluster without a uuid gets
// UUIDv5(collection_uuid, galaxy type, value).
package convert
