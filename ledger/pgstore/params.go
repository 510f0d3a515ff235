package pgstore

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// takeParams removes this package's parameters from a connection string (a URL's query,
// or a key=value DSN's pairs), fills in what o leaves zero, and returns the rest for pgx,
// which would otherwise send them to the server as settings it does not know.
func takeParams(conn string, o *Options) (string, error) {
	set := func(key, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("the PostgreSQL URL's %s=%q: want a positive duration such as 2s", key, v)
		}
		switch key {
		case paramLease:
			if o.Lease <= 0 {
				o.Lease = d
			}
		case paramLockWait:
			if o.LockWait <= 0 {
				o.LockWait = d
			}
		}
		return nil
	}
	ours := func(k string) bool { return k == paramLease || k == paramLockWait }
	if strings.Contains(conn, "://") {
		u, err := url.Parse(conn)
		if err != nil {
			return "", fmt.Errorf("parsing the PostgreSQL URL: %w", err)
		}
		q := u.Query()
		changed := false
		for k, vs := range q {
			if !ours(k) {
				continue
			}
			for _, v := range vs {
				if err := set(k, v); err != nil {
					return "", err
				}
			}
			q.Del(k)
			changed = true
		}
		if changed {
			u.RawQuery = q.Encode()
			conn = u.String()
		}
		return conn, nil
	}
	// key=value pairs separated by spaces; our values never need quoting.
	var keep []string
	for _, f := range strings.Fields(conn) {
		k, v, ok := strings.Cut(f, "=")
		if ok && ours(k) {
			if err := set(k, v); err != nil {
				return "", err
			}
			continue
		}
		keep = append(keep, f)
	}
	if len(keep) == len(strings.Fields(conn)) {
		return conn, nil
	}
	return strings.Join(keep, " "), nil
}

// keepAlive makes both ends of every session probe a silent peer: the client after lease
// of silence, then every lease/3 (at least a second), giving up after three unanswered
// probes; the server likewise (tcp_keepalives_*, which it ignores on Unix sockets). A
// peer that vanished (a partition, a crashed host) is then noticed in seconds. A paused
// process's kernel still answers probes: the lease's idle-in-transaction timeout, not
// keepalive, ends a paused holder's session.
func keepAlive(c *pgx.ConnConfig, lease time.Duration) {
	idle := max(lease.Round(time.Second), time.Second)
	interval := max((lease / 3).Round(time.Second), time.Second)
	d := &net.Dialer{Timeout: c.ConnectTimeout, KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: idle, Interval: interval, Count: 3}}
	c.DialFunc = d.DialContext
	if c.RuntimeParams == nil {
		c.RuntimeParams = map[string]string{}
	}
	c.RuntimeParams["tcp_keepalives_idle"] = strconv.Itoa(int(idle / time.Second))
	c.RuntimeParams["tcp_keepalives_interval"] = strconv.Itoa(int(interval / time.Second))
	c.RuntimeParams["tcp_keepalives_count"] = "3"
}
