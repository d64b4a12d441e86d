//go:build !unix

package rpzdns

import "syscall"

// reusePort does nothing where SO_REUSEPORT is unknown: one UDP socket.
func reusePort(network, address string, c syscall.RawConn) error { return nil }
