package api

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Role is what an API key may do. Each role includes the ones below it.
type Role int

// Roles, weakest first.
const (
	RoleViewer  Role = iota + 1 // reads portfolios, scenarios, runs and results
	RoleAnalyst                 // also uploads portfolios, starts and cancels runs, validates scenarios
	RoleAdmin                   // also deletes portfolios
)

func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleAnalyst:
		return "analyst"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// ParseRole parses "viewer", "analyst" or "admin".
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "viewer":
		return RoleViewer, nil
	case "analyst":
		return RoleAnalyst, nil
	case "admin":
		return RoleAdmin, nil
	}
	return 0, fmt.Errorf("unknown role %q (want viewer, analyst or admin)", s)
}

// Key is one API key: the secret, its role, and a name for logs.
type Key struct {
	Secret string
	Role   Role
	Name   string // shown in logs and run metadata, never the secret
}

// principal is who a request acts as.
type principal struct {
	Name string
	Role Role
}

func principalOf(ctx context.Context) *principal {
	p, _ := ctx.Value(ctxPrincipal).(*principal)
	return p
}

// minKeyLen is the shortest secret accepted, so keys cannot be guessed.
const minKeyLen = 16

// ParseKeys reads API keys, one per line as "ROLE SECRET [NAME]" (fields
// separated by spaces or a colon: "admin:SECRET:ops"); blank lines and
// lines starting with # are ignored. Secrets must be at least 16
// characters. The name defaults to ROLE-N.
func ParseKeys(r io.Reader, source string) ([]Key, error) {
	var keys []Key
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := parseKey(line, len(keys)+1)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", source, n, err)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return keys, nil
}

// ParseKeysEnv reads keys from a DANBAO_API_KEYS value: entries
// "ROLE:SECRET[:NAME]" separated by commas, semicolons or newlines.
func ParseKeysEnv(v string) ([]Key, error) {
	var keys []Key
	for _, e := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		k, err := parseKey(e, len(keys)+1)
		if err != nil {
			return nil, fmt.Errorf("DANBAO_API_KEYS entry %d: %w", len(keys)+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func parseKey(line string, n int) (Key, error) {
	f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ':' })
	if len(f) < 2 || len(f) > 3 {
		return Key{}, fmt.Errorf("want ROLE SECRET [NAME]")
	}
	role, err := ParseRole(f[0])
	if err != nil {
		return Key{}, err
	}
	if len(f[1]) < minKeyLen {
		return Key{}, fmt.Errorf("secret shorter than %d characters", minKeyLen)
	}
	k := Key{Secret: f[1], Role: role, Name: fmt.Sprintf("%s-%d", role, n)}
	if len(f) == 3 {
		k.Name = f[2]
	}
	return k, nil
}

// LoadKeysFile reads a keys file (see ParseKeys).
func LoadKeysFile(path string) ([]Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseKeys(f, path)
}

// NewKeySecret returns a random key secret ("dbk_" and 32 hex digits).
func NewKeySecret() string { return newID("dbk_", 16) }

// keyring looks keys up by the SHA-256 of the secret, so the comparison
// does not leak the secret through timing.
type keyring map[[32]byte]*principal

func newKeyring(keys []Key) keyring {
	kr := make(keyring, len(keys))
	for _, k := range keys {
		kr[sha256.Sum256([]byte(k.Secret))] = &principal{Name: k.Name, Role: k.Role}
	}
	return kr
}

// secretOf reads the key from "Authorization: Bearer KEY" or "X-API-Key: KEY".
// The scheme name is case-insensitive (RFC 9110 §11.1): "bearer KEY" works too.
func secretOf(r *http.Request) string {
	if v := r.Header.Get("X-API-Key"); v != "" {
		return strings.TrimSpace(v)
	}
	scheme, v, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(v)
	}
	return ""
}

// authenticate resolves the request's key to a principal. With auth off
// (Config.NoAuth) every request is an anonymous admin (localOnly has
// checked where it comes from). A client that sent too many unknown keys
// lately (failLimiter) gets 429 without its key being looked at.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p *principal
		if s.cfg.NoAuth {
			p = &principal{Name: "anonymous", Role: RoleAdmin}
		} else {
			client := clientAddr(r, s.cfg.TrustProxy)
			if wait := s.authFails.wait(client, time.Now()); wait > 0 {
				s.writeProblem(w, r, &Error{Message: "Too many requests with unknown API keys from this address.", err: errRateLimited,
					RetryAfter: int(wait.Seconds()) + 1, Fixes: []string{"Check the key, then retry after the number of seconds in Retry-After."}})
				return
			}
			secret := secretOf(r)
			if secret == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="danbao"`)
				s.writeProblem(w, r, &Error{Message: "This endpoint needs an API key.", err: errUnauthorized,
					Fixes: []string{"Send the key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'."}})
				return
			}
			p = s.keys[sha256.Sum256([]byte(secret))]
			if p == nil {
				s.authFails.fail(client, time.Now())
				s.log.Warn("unknown API key", "request_id", requestID(r.Context()), "client", client)
				w.Header().Set("WWW-Authenticate", `Bearer realm="danbao", error="invalid_token"`)
				s.writeProblem(w, r, &Error{Message: "The API key is not known to this server.", err: errUnauthorized,
					Fixes: []string{"Check the key; keys come from the server's keys file or DANBAO_API_KEYS."}})
				return
			}
		}
		accessOf(r.Context()).setPrincipal(p)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxPrincipal, p)))
	})
}

// require lets a request through only if its key has at least role.
func (s *Server) require(role Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := principalOf(r.Context())
			if p == nil || p.Role < role {
				have := "none"
				if p != nil {
					have = p.Role.String()
				}
				s.writeProblem(w, r, &Error{Message: fmt.Sprintf("This needs the %s role; the key has %s.", role, have),
					err: errForbidden, Fixes: []string{"Use a key with the " + role.String() + " role."}})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
