package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wenzhou/danbao"
	"github.com/wenzhou/danbao/api"
)

func init() {
	var (
		cfg        api.Config
		addr       string
		authMode   string
		keysFile   string
		maxMemMiB  int64
		uploadMiB  int64
		noExample  bool
		logLevel   string
		logDiscard bool
	)
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080] [--data DIR]",
		Short: "The HTTP service: portfolios, scenarios and asynchronous runs over a JSON API",
		Long: `serve runs danbao's HTTP API (OpenAPI document at /openapi.yaml): upload
and describe portfolios, list and validate scenarios, start runs, poll their
progress, fetch result documents, per-path results (Arrow or CSV) and tables.

Everything is kept under --data: an SQLite database (WAL) for metadata and
files for snapshots and results, written atomically. After a restart, even
after kill -9, finished runs and uploads are there; runs that were in
flight are marked interrupted and can be resubmitted.

API keys carry a role: viewer (reads), analyst (uploads, runs, cancels),
admin (deletes). Give them in a file (--keys-file; lines "ROLE SECRET
[NAME]") or in DANBAO_API_KEYS ("ROLE:SECRET[:NAME],…"). With neither, on a
loopback address, serve creates an admin key (kept in DIR/admin.key) and
prints it. --auth none turns keys off and is refused unless --addr is a
loopback address; it then answers only requests addressed to localhost,
127.0.0.1 or [::1] and refuses cross-site POSTs. The dashboard signs in
to a server-side session (--session-ttl); each key may have
--max-jobs-per-key jobs queued or running; unknown keys are rate-limited
per client address. docs/security.md has the details.

With no flags it listens on 127.0.0.1:8080 with the embedded Wenzhou
example loaded as portfolio "example". SIGTERM or Ctrl-C stops it
gracefully: running jobs get --shutdown-grace to finish, then are recorded
as interrupted. Logs are JSON lines on stderr; metrics at /metrics.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			if logDiscard {
				cfg.Logger = slog.New(slog.DiscardHandler)
			} else {
				cfg.Logger = slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			}
			loopback := isLoopback(addr)
			var printKey string
			switch authMode {
			case "none":
				if !loopback {
					return &exitError{2, fmt.Errorf("--auth none is only allowed on a loopback address, not %q", addr)}
				}
				cfg.NoAuth = true
			case "keys":
				keys, err := loadKeys(keysFile)
				if err != nil {
					return &exitError{2, err}
				}
				if len(keys) == 0 {
					if !loopback {
						return &exitError{2, fmt.Errorf("no API keys: give --keys-file or DANBAO_API_KEYS when listening on %q", addr)}
					}
					k, err := localAdminKey(cfg.DataDir)
					if err != nil {
						return err
					}
					keys, printKey = []api.Key{k}, k.Secret
				}
				cfg.Keys = keys
			default:
				return &exitError{2, fmt.Errorf("--auth %q: want keys or none", authMode)}
			}
			if maxMemMiB <= 0 {
				return &exitError{2, fmt.Errorf("--max-memory %d: want a positive number of MiB", maxMemMiB)}
			}
			cfg.MaxMemory = maxMemMiB << 20
			cfg.MaxRows = maxRows
			cfg.MaxUploadBytes = uploadMiB << 20
			memLimit := setMemoryLimit(cfg.MaxMemory)

			srv, err := api.NewServer(cfg)
			if err != nil {
				return err
			}
			if !noExample {
				pf, err := danbao.Example()
				if err != nil {
					srv.Shutdown(cmd.Context())
					return fmt.Errorf("load the embedded example: %w", err)
				}
				if err := srv.EnsurePortfolio(cmd.Context(), "example", "Wenzhou example (20,000 loans, embedded)", "example", pf); err != nil {
					srv.Shutdown(cmd.Context())
					return err
				}
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				srv.Shutdown(cmd.Context())
				return err
			}
			url := "http://" + ln.Addr().String()
			fmt.Fprintf(out, "danbao: serving %s (data %s, %d concurrent runs, memory budget %d MiB, Go memory limit %d MiB)\n",
				url, cfg.DataDir, effective(cfg.MaxConcurrentRuns), cfg.MaxMemory>>20, memLimit>>20)
			switch {
			case cfg.NoAuth:
				fmt.Fprintln(out, "danbao: authentication is off (--auth none, loopback only)")
			case printKey != "":
				fmt.Fprintf(out, "danbao: admin API key: %s\n", printKey)
				fmt.Fprintf(out, "danbao: try  curl -H 'Authorization: Bearer %s' %s/v1/portfolios\n", printKey, url)
			}
			return srv.ServeHandler(cmd.Context(), ln, site(srv, cfg))
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "listen address (host:port; port 0 picks a free one)")
	f.StringVar(&cfg.DataDir, "data", "danbao-data", "data folder: database, snapshots, results")
	f.StringVar(&authMode, "auth", "keys", "keys, or none (loopback only)")
	f.StringVar(&keysFile, "keys-file", "", `API keys file, lines "ROLE SECRET [NAME]" (also: env DANBAO_API_KEYS)`)
	f.IntVar(&cfg.MaxConcurrentRuns, "max-concurrent-runs", runtime.NumCPU(), "runs executing at once")
	f.IntVar(&cfg.MaxQueuedRuns, "max-queued-runs", 64, "runs waiting for a slot before 429")
	f.Int64Var(&maxMemMiB, "max-memory", defaultMaxMemoryMiB(), "memory budget of admitted runs and uploads, MiB, by their estimates (503 beyond); the Go memory limit is 1.25× it (default: half the machine's memory)")
	f.IntVar(&cfg.MaxPaths, "max-paths", 1_000_000, "most paths of one run")
	f.IntVar(&cfg.Workers, "workers", 0, "workers per run (0: cores / max-concurrent-runs); never changes results")
	f.Int64Var(&uploadMiB, "max-upload", 256, "largest portfolio upload, MiB")
	f.Int64Var(&cfg.MaxBodyBytes, "max-body", 1<<20, "largest JSON request body, bytes")
	f.DurationVar(&cfg.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "time to read request headers")
	f.DurationVar(&cfg.ReadTimeout, "read-timeout", 10*time.Minute, "time to read a whole request (uploads)")
	f.DurationVar(&cfg.WriteTimeout, "write-timeout", 10*time.Minute, "time to write a response (per-path downloads)")
	f.DurationVar(&cfg.IdleTimeout, "idle-timeout", 2*time.Minute, "keep-alive idle time")
	f.DurationVar(&cfg.ShutdownGrace, "shutdown-grace", 30*time.Second, "on SIGTERM, time for requests and runs to finish")
	f.BoolVar(&cfg.TrustProxy, "trust-proxy", false, "believe X-Forwarded-For/-Proto from a reverse proxy in front (client address, Secure cookies)")
	f.DurationVar(&cfg.SessionTTL, "session-ttl", 12*time.Hour, "how long a dashboard sign-in lasts")
	f.IntVar(&cfg.MaxJobsPerKey, "max-jobs-per-key", 16, "jobs one key may have queued or running (429 beyond)")
	f.BoolVar(&noExample, "no-example", false, "do not load the embedded example as portfolio \"example\"")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.BoolVar(&logDiscard, "quiet", false, "no logs")
	rootCmd.AddCommand(cmd)
}

func effective(n int) int {
	if n <= 0 {
		return runtime.NumCPU()
	}
	return n
}

// isLoopback reports whether a listen address only accepts local clients.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadKeys reads keys from file (if given) and DANBAO_API_KEYS.
func loadKeys(file string) ([]api.Key, error) {
	var keys []api.Key
	if file != "" {
		k, err := api.LoadKeysFile(file)
		if err != nil {
			return nil, fmt.Errorf("--keys-file: %w", err)
		}
		keys = append(keys, k...)
	}
	if v := os.Getenv("DANBAO_API_KEYS"); v != "" {
		k, err := api.ParseKeysEnv(v)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k...)
	}
	return keys, nil
}

// localAdminKey returns the admin key kept in DIR/admin.key, creating it
// (mode 0600) on first use, so notebooks keep working across restarts.
// The file holds the bare key and a newline, so that
// curl -H "Authorization: Bearer $(cat DIR/admin.key)" works; a file in
// the keys-file format ("admin SECRET NAME") of earlier versions is read too.
func localAdminKey(dir string) (api.Key, error) {
	path := filepath.Join(dir, "admin.key")
	if b, err := os.ReadFile(path); err == nil {
		text := strings.TrimSpace(string(b))
		if len(text) >= 16 && !strings.ContainsAny(text, " \t\n:#") { // a bare key
			return api.Key{Secret: text, Role: api.RoleAdmin, Name: "local-admin"}, nil
		}
		keys, err := api.ParseKeys(strings.NewReader(string(b)), path)
		if err == nil && len(keys) == 1 {
			return keys[0], nil
		}
		return api.Key{}, fmt.Errorf("%s is damaged; delete it to get a new key", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return api.Key{}, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return api.Key{}, err
	}
	k := api.Key{Secret: api.NewKeySecret(), Role: api.RoleAdmin, Name: "local-admin"}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(k.Secret+"\n"), 0o600); err != nil {
		return api.Key{}, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return api.Key{}, err
	}
	return k, nil
}
