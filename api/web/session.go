package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

// sessionCookie is the cookie naming the user's session. It holds a
// random id, never the API key: the key stays on the server, in the
// session. The cookie is HttpOnly (scripts cannot read it), SameSite=Strict
// (other sites cannot make the browser send it) and Secure when the page
// came over TLS (see secure).
const sessionCookie = "danbao_session"

// oldKeyCookie is the cookie earlier versions kept the raw key in; sign-in
// and sign-out delete it.
const oldKeyCookie = "danbao_key"

// maxSessions bounds the sessions kept; beyond it the one closest to
// expiry is dropped.
const maxSessions = 10_000

// sessionStore keeps the dashboard's sign-ins in memory: session id → the
// API key it acts with and when it ends. A session ends at sign-out
// (revoke) or ttl after sign-in, whichever is first; a restart of the
// server ends them all. Ids are 32 random bytes; the map is keyed by
// their SHA-256, so a lookup's timing says nothing about stored ids.
type sessionStore struct {
	ttl time.Duration
	max int

	mu sync.Mutex
	m  map[[32]byte]session
}

type session struct {
	key     string
	expires time.Time
}

func newSessionStore(ttl time.Duration, max int) *sessionStore {
	return &sessionStore{ttl: ttl, max: max, m: map[[32]byte]session{}}
}

// create starts a session acting with key and returns its id.
func (s *sessionStore) create(key string, now time.Time) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	id := hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.max {
		s.pruneLocked(now)
	}
	s.m[sha256.Sum256([]byte(id))] = session{key: key, expires: now.Add(s.ttl)}
	return id
}

// pruneLocked drops expired sessions, then, if still full, the one that
// expires first.
func (s *sessionStore) pruneLocked(now time.Time) {
	var first [32]byte
	var firstAt time.Time
	for h, ss := range s.m {
		switch {
		case !now.Before(ss.expires):
			delete(s.m, h)
		case firstAt.IsZero() || ss.expires.Before(firstAt):
			first, firstAt = h, ss.expires
		}
	}
	if len(s.m) >= s.max && !firstAt.IsZero() {
		delete(s.m, first)
	}
}

// key returns the API key of session id, if it exists and has not expired.
func (s *sessionStore) key(id string, now time.Time) (string, bool) {
	if id == "" {
		return "", false
	}
	h := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[h]
	if !ok {
		return "", false
	}
	if !now.Before(ss.expires) {
		delete(s.m, h)
		return "", false
	}
	return ss.key, true
}

// revoke ends session id.
func (s *sessionStore) revoke(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sha256.Sum256([]byte(id)))
}

// secure reports whether r came to the client's side over TLS: danbao
// terminated TLS itself, or, with Options.TrustProxy, the reverse proxy in
// front says so (X-Forwarded-Proto: https). Without TrustProxy the header
// is ignored: a client could send it.
func (h *Handler) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !h.opts.TrustProxy {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// setSessionCookie sets (maxAge > 0) or deletes (maxAge < 0) the session cookie.
func (h *Handler) setSessionCookie(w http.ResponseWriter, r *http.Request, id string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: h.secure(r), MaxAge: maxAge})
	if _, err := r.Cookie(oldKeyCookie); err == nil {
		http.SetCookie(w, &http.Cookie{Name: oldKeyCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
			Secure: h.secure(r), MaxAge: -1})
	}
}
