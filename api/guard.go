package api

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// failLimiter limits failed authentication per client: a token bucket of
// burst tokens per client address, refilled at one token per every. Each
// request with an unknown key takes a token; a client whose bucket is
// empty is refused (429) until a token is back. Requests with a good key,
// or with none, cost nothing, so a browser that has not signed in yet is
// never locked out. At most max clients are tracked: when the map is full,
// clients whose buckets are full again (they carry no state) are dropped
// first, then an arbitrary one.
type failLimiter struct {
	burst float64
	every time.Duration
	max   int

	mu      sync.Mutex
	clients map[string]*bucket
}

// bucket is one client's tokens as of time at.
type bucket struct {
	tokens float64
	at     time.Time
}

// maxRateClients bounds the clients a failLimiter tracks.
const maxRateClients = 10_000

func newFailLimiter(burst int, every time.Duration, max int) *failLimiter {
	return &failLimiter{burst: float64(burst), every: every, max: max, clients: map[string]*bucket{}}
}

// refill brings b up to now: tokens = min(burst, tokens + elapsed/every).
func (l *failLimiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = min(l.burst, b.tokens+float64(el)/float64(l.every))
		b.at = now
	}
}

// wait returns how long client must wait before its next attempt counts,
// or 0 if it may try now.
func (l *failLimiter) wait(client string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.clients[client]
	if b == nil {
		return 0
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(l.every))
}

// fail takes a token from client's bucket.
func (l *failLimiter) fail(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.clients[client]
	if b == nil {
		if len(l.clients) >= l.max {
			l.evictLocked(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.clients[client] = b
	}
	l.refill(b, now)
	b.tokens = max(0, b.tokens-1)
}

// evictLocked makes room for one client.
func (l *failLimiter) evictLocked(now time.Time) {
	for c, b := range l.clients {
		if l.refill(b, now); b.tokens >= l.burst {
			delete(l.clients, c)
		}
	}
	for c := range l.clients {
		if len(l.clients) < l.max {
			return
		}
		delete(l.clients, c)
	}
}

// clientAddr is the address the rate limits count a request under: the
// connection's IP address (an IPv6 address by its /64 network, which one
// host usually holds whole). With trustProxy, the last address of
// X-Forwarded-For is used instead: the one the proxy in front of danbao
// saw. Only set trustProxy when such a proxy always sets the header;
// otherwise clients could pick their own address.
func clientAddr(r *http.Request, trustProxy bool) string {
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				addr = last
			}
		}
	}
	ip := net.ParseIP(addr)
	if ip == nil {
		return addr
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// loopbackHost reports whether a Host header names this machine by a
// loopback name: localhost, 127.0.0.1 (any 127.x.y.z) or [::1], with or
// without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// localOnly guards a server without keys (Config.NoAuth), where every
// request acts as an admin. Being on a loopback address is not enough: any
// web page the local user opens can make the browser send requests to
// 127.0.0.1. So it answers only requests whose Host is a loopback name
// (a DNS-rebinding page sends its own host name), and refuses
// state-changing requests (POST, DELETE, …) that a browser marks as coming
// from another site (Sec-Fetch-Site, else Origin; http.CrossOriginProtection).
// Both refusals are 403 problem documents.
func (s *Server) localOnly(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, &Error{Message: "Cross-site requests are refused while authentication is off.", err: errForbidden,
			Fixes: []string{"Use the dashboard or a client on this machine, or run danbao serve with API keys."}})
	}))
	guarded := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			s.writeProblem(w, r, &Error{Message: fmt.Sprintf("Authentication is off, so the server answers only requests addressed to localhost, 127.0.0.1 or [::1], not %q.", r.Host),
				err: errForbidden, Fixes: []string{"Open http://127.0.0.1:PORT/, or run danbao serve with API keys."}})
			return
		}
		guarded.ServeHTTP(w, r)
	})
}
