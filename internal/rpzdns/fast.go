package rpzdns

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// serveUDP reads one UDP socket. Plain queries whose answer is cached or
// set by the policy are answered on this goroutine from the packet's bytes
// (query), without unpacking a dns.Msg; everything else goes to ServeDNS
// on its own goroutine.
func (r *Resolver) serveUDP(c *net.UDPConn) {
	buf := make([]byte, 65535)
	out := make([]byte, 0, 1232)
	var q query
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond)
			continue
		}
		pkt := buf[:n]
		if q.parse(pkt) {
			if wire, ok := r.fast(&q, pkt, from, out); ok {
				c.WriteToUDPAddrPort(wire, from)
				out = wire[:0]
				continue
			}
		}
		cp := append([]byte(nil), pkt...)
		go r.slow(c, from, cp)
	}
}

// fast answers q from the policy or the cache; false when it cannot.
func (r *Resolver) fast(q *query, pkt []byte, from netip.AddrPort, out []byte) ([]byte, bool) {
	pol, ok := r.policy()
	if !ok {
		return nil, false
	}
	if hit, ok := pol.Lookup(string(q.lower[:q.nlen])); ok && hit.Action != rpz.Passthru {
		req := &dns.Msg{MsgHdr: dns.MsgHdr{Id: q.id, RecursionDesired: q.rd, CheckingDisabled: q.cd},
			Question: []dns.Question{{Name: q.name(pkt), Qtype: q.qtype, Qclass: dns.ClassINET}}}
		m := r.policyAnswer(req, req.Question[0], hit, q.edns != 'n')
		wire, err := m.PackBuffer(out)
		if err != nil {
			return nil, false
		}
		r.count(from.Addr().Unmap(), req.Question[0], hit)
		return wire, true
	}
	key := append(q.lower[:q.nlen], '.', byte(q.qtype>>8), byte(q.qtype), q.edns) // in q.lower's spare room
	wire, ok := r.cache.getBytes(key)
	if !ok || len(wire) > q.size {
		return nil, false
	}
	out = append(out[:0], wire...)
	out[0], out[1] = pkt[0], pkt[1]
	out[2] = out[2]&^0x01 | pkt[2]&0x01  // RD as asked
	copy(out[12:q.qend], pkt[12:q.qend]) // the client's spelling of the name
	return out, true
}

// slow answers a packet through ServeDNS.
func (r *Resolver) slow(c *net.UDPConn, from netip.AddrPort, pkt []byte) {
	m := new(dns.Msg)
	if err := m.Unpack(pkt); err != nil {
		if len(pkt) >= 12 && pkt[2]&0x80 == 0 { // a query we cannot read: FORMERR with its id
			c.WriteToUDPAddrPort([]byte{pkt[0], pkt[1], 0x80, dns.RcodeFormatError, 0, 0, 0, 0, 0, 0, 0, 0}, from)
		}
		return
	}
	if m.Response {
		return
	}
	r.ServeDNS(&udpWriter{c: c, to: from}, m)
}

// query is what the fast path reads of a packet: one question in
// letters, digits, hyphens and underscores, no compression, at most one
// OPT record of EDNS version 0.
type query struct {
	id            uint16
	rd, cd        bool
	qtype         uint16
	qend          int       // offset after the question name
	lower         [256]byte // the name, lower-cased, dotted, without the final dot
	nlen          int
	edns          byte // 'n' none, 'e' EDNS, 'd' EDNS with DO
	size          int  // the largest answer the client takes
	labels, start int
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// parse reads pkt into q; false when the fast path does not take it.
func (q *query) parse(pkt []byte) bool {
	if len(pkt) < 17 || pkt[2]&0x80 != 0 || (pkt[2]>>3)&0xF != 0 || be16(pkt[4:]) != 1 || be16(pkt[6:]) != 0 || be16(pkt[8:]) != 0 {
		return false
	}
	ar := be16(pkt[10:])
	if ar > 1 {
		return false
	}
	q.id, q.rd, q.cd = be16(pkt), pkt[2]&0x01 != 0, pkt[3]&0x10 != 0
	off, n := 12, 0
	for {
		if off >= len(pkt) {
			return false
		}
		l := int(pkt[off])
		off++
		if l == 0 {
			break
		}
		if l > 63 || off+l > len(pkt) || n+l+1 > 251 { // room for the cache key's suffix
			return false
		}
		if n > 0 {
			q.lower[n] = '.'
			n++
		}
		for _, c := range pkt[off : off+l] {
			switch {
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			default:
				return false
			}
			q.lower[n] = c
			n++
		}
		off += l
	}
	if n == 0 || off+4 > len(pkt) {
		return false
	}
	q.nlen, q.qend = n, off
	q.qtype = be16(pkt[off:])
	if be16(pkt[off+2:]) != dns.ClassINET || q.qtype == dns.TypeAXFR || q.qtype == dns.TypeIXFR || q.qtype == dns.TypeOPT {
		return false
	}
	off += 4
	q.edns, q.size = 'n', 512
	if ar == 1 {
		// OPT: root owner, type 41, class = UDP size, TTL = ext-rcode,
		// version, flags; rdata skipped.
		if off+11 > len(pkt) || pkt[off] != 0 || be16(pkt[off+1:]) != dns.TypeOPT || pkt[off+5] != 0 || pkt[off+6] != 0 {
			return false
		}
		q.size = min(max(int(be16(pkt[off+3:])), 512), 1232)
		q.edns = 'e'
		if pkt[off+7]&0x80 != 0 {
			q.edns = 'd'
		}
		rdlen := int(be16(pkt[off+9:]))
		off += 11
		if off+rdlen != len(pkt) {
			return false
		}
		for end := off + rdlen; off < end; { // options: code, length, data
			if off+4 > end || off+4+int(be16(pkt[off+2:])) > end {
				return false
			}
			off += 4 + int(be16(pkt[off+2:]))
		}
	}
	return off == len(pkt)
}

// name is the question name as the client spelt it, with the final dot.
func (q *query) name(pkt []byte) string {
	b := make([]byte, 0, q.nlen+1)
	for off := 12; pkt[off] != 0; off += int(pkt[off]) + 1 {
		b = append(b, pkt[off+1:off+1+int(pkt[off])]...)
		b = append(b, '.')
	}
	return string(b)
}

// udpWriter answers one UDP query for ServeDNS.
type udpWriter struct {
	c  *net.UDPConn
	to netip.AddrPort
}

func (w *udpWriter) LocalAddr() net.Addr  { return w.c.LocalAddr() }
func (w *udpWriter) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(w.to) }
func (w *udpWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.c.WriteToUDPAddrPort(b, w.to)
	return err
}
func (w *udpWriter) Write(b []byte) (int, error) { return w.c.WriteToUDPAddrPort(b, w.to) }
func (w *udpWriter) Close() error                { return nil }
func (w *udpWriter) TsigStatus() error           { return nil }
func (w *udpWriter) TsigTimersOnly(bool)         {}
func (w *udpWriter) Hijack()                     {}
