package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
)

// Config configures a Server. The zero value of every field but DataDir
// (and Keys, unless NoAuth) means the documented default.
type Config struct {
	// DataDir is the folder holding the database, snapshots and results.
	// Default "danbao-data".
	DataDir string
	// Keys are the API keys. Required unless NoAuth.
	Keys []Key
	// NoAuth serves every request as admin, without keys. The caller must
	// allow it only on a loopback address (cmd/danbao does); the server
	// then also refuses requests whose Host is not a loopback name and
	// cross-site POSTs (localOnly).
	NoAuth bool
	// TrustProxy believes X-Forwarded-For (the client's address, for rate
	// limits) and X-Forwarded-Proto (https: Secure cookies) as set by a
	// reverse proxy in front. Leave it off unless one always sets them.
	TrustProxy bool
	// SessionTTL is how long a dashboard sign-in lasts. Default 12 h.
	SessionTTL time.Duration
	// MaxJobsPerKey is how many jobs one key may have queued or running at
	// once (429 beyond). Default 16.
	MaxJobsPerKey int
	// AuthFailBurst and AuthFailEvery rate-limit unknown keys per client
	// address: a bucket of AuthFailBurst attempts, one back per
	// AuthFailEvery (429 when empty). Defaults 10 and 6 s.
	AuthFailBurst int
	AuthFailEvery time.Duration

	// MaxConcurrentRuns is how many jobs run at once. Default runtime.NumCPU().
	MaxConcurrentRuns int
	// MaxQueuedRuns is how many jobs may wait for a slot. Default 64.
	MaxQueuedRuns int
	// MaxMemory is the memory budget for admitted (queued and running)
	// jobs, by their estimates (see runEstimate), and for uploads being
	// imported (see uploadEstimate). Default 4 GiB.
	MaxMemory int64
	// Workers is the parallelism of each run (sim.Params.Workers); it never
	// changes results. Default: GOMAXPROCS / MaxConcurrentRuns, at least 1.
	Workers int
	// MaxPaths bounds the paths of one run. Default 1,000,000.
	MaxPaths int

	// MaxUploadBytes caps a portfolio upload. Default 256 MiB.
	MaxUploadBytes int64
	// MaxRows caps the rows of each uploaded table (snapshot.Limits).
	// Default snapshot.DefaultMaxRows (10 million).
	MaxRows int
	// MaxBodyBytes caps every other request body. Default 1 MiB.
	MaxBodyBytes int64

	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout go to
	// http.Server. Defaults 10 s, 10 min, 10 min and 2 min.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownGrace is how long Serve lets requests and running jobs finish
	// after its context is done, before it interrupts them. Default 30 s.
	ShutdownGrace time.Duration

	// Logger receives JSON logs. Default: discard.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.DataDir == "" {
		c.DataDir = "danbao-data"
	}
	if c.MaxConcurrentRuns <= 0 {
		c.MaxConcurrentRuns = runtime.NumCPU()
	}
	if c.MaxQueuedRuns <= 0 {
		c.MaxQueuedRuns = 64
	}
	if c.MaxMemory <= 0 {
		c.MaxMemory = 4 << 30
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.MaxJobsPerKey <= 0 {
		c.MaxJobsPerKey = 16
	}
	if c.AuthFailBurst <= 0 {
		c.AuthFailBurst = 10
	}
	if c.AuthFailEvery <= 0 {
		c.AuthFailEvery = 6 * time.Second
	}
	if c.MaxPaths <= 0 {
		c.MaxPaths = 1_000_000
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 256 << 20
	}
	if c.MaxRows <= 0 {
		c.MaxRows = snapshot.DefaultMaxRows
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 10 * time.Minute
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Minute
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Server is danbao's HTTP service: the router, the store and the job
// scheduler. Create it with NewServer, serve Routes (or call Serve), and
// Shutdown when done. A Server is safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   *store
	sched   *scheduler
	metrics *metrics
	keys    keyring
	router  chi.Router
	kinds   []*jobKind // mounted by mountJobs
	ready   atomic.Bool

	cacheMu sync.Mutex
	cache   map[string]*cachedPortfolio // by portfolio id
	tick    uint64

	closeOnce sync.Once

	// authFails rate-limits unknown keys per client (authenticate).
	authFails *failLimiter
}

// NewServer opens the data folder, marks the jobs a previous process left
// unfinished as interrupted, and builds the router.
func NewServer(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if !cfg.NoAuth && len(cfg.Keys) == 0 {
		return nil, errors.New("api: no API keys configured (give keys, or NoAuth on loopback)")
	}
	st, err := openStore(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("api: open data folder %s: %w", cfg.DataDir, err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, store: st, metrics: newMetrics(), keys: newKeyring(cfg.Keys),
		authFails: newFailLimiter(cfg.AuthFailBurst, cfg.AuthFailEvery, maxRateClients),
		cache:     map[string]*cachedPortfolio{}}
	s.sched = newScheduler(s, cfg.MaxConcurrentRuns, cfg.MaxQueuedRuns, cfg.MaxMemory)
	s.sched.maxPerOwner = cfg.MaxJobsPerKey
	n, err := st.interruptInFlight(context.Background(), time.Now())
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("api: %w", err)
	}
	if n > 0 {
		s.log.Warn("jobs interrupted by the previous shutdown", "count", n)
	}
	s.router = s.routes()
	counts, err := st.countJobs(context.Background())
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("api: %w", err)
	}
	for _, k := range s.kinds {
		for _, state := range allStates {
			s.metrics.jobs.WithLabelValues(k.Name, state).Set(float64(counts[[2]string{k.Name, state}]))
		}
	}
	s.metrics.memBudget.Set(float64(cfg.MaxMemory))
	s.ready.Store(true)
	return s, nil
}

// Routes returns the API's router: every endpoint of openapi.yaml, with
// the middleware of Middlewares, and a problem document (404, 405) for
// any other path or method. GET / answers the JSON index. The dashboard
// (api/web) is not here: cmd/danbao mounts it beside this router.
func (s *Server) Routes() chi.Router { return s.router }

// ServeHTTP serves r with the API's router.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Middlewares are what every answer of the server gets, the API's and
// anything mounted beside it (the dashboard): a request id and an access
// log line, the latency metric and recovery from panics (observe), the
// security headers, and, with Config.NoAuth, the local-only guard.
func (s *Server) Middlewares() chi.Middlewares {
	mw := chi.Middlewares{s.observe, securityHeaders}
	if s.cfg.NoAuth {
		mw = append(mw, s.localOnly)
	}
	return mw
}

// Index serves the JSON index of GET /, without the middleware (for a
// handler mounted at / that hands JSON clients the index).
func (s *Server) Index() http.Handler { return s.handle(s.index) }

// CarryKeys are the context keys a handler mounted beside the API passes
// on from its own request to the API requests it makes in process
// (web.Options.Carry): the access-log record, so that the page's log line
// names the key the API authenticated.
func (s *Server) CarryKeys() []any { return []any{ctxAccess} }

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.Middlewares()...)
	r.NotFound(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		unmatched(r)
		return &Error{Message: fmt.Sprintf("No endpoint %s.", r.URL.Path), err: models.ErrNotFound,
			Fixes: []string{"See /openapi.yaml for the endpoints."}}
	}))
	r.MethodNotAllowed(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		unmatched(r)
		return &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: fmt.Sprintf("%s is not allowed on %s.", r.Method, r.URL.Path), Fixes: []string{"See /openapi.yaml for the methods."}}
	}))

	// Open endpoints.
	r.Get("/", s.handle(s.index))
	r.Get("/healthz", s.handle(s.healthz))
	r.Get("/readyz", s.handle(s.readyz))
	r.Get("/openapi.yaml", s.handle(serveOpenAPI))
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))

	r.Route("/v1", func(r chi.Router) {
		r.Use(s.authenticate)
		json := s.limitBody(s.cfg.MaxBodyBytes)
		viewer, analyst, admin := s.require(RoleViewer), s.require(RoleAnalyst), s.require(RoleAdmin)

		r.With(viewer).Get("/portfolios", s.handle(s.listPortfolios))
		r.With(analyst, s.limitBody(s.cfg.MaxUploadBytes)).Post("/portfolios", s.handle(s.uploadPortfolio))
		r.With(viewer).Get("/portfolios/{id}", s.handle(s.getPortfolio))
		r.With(viewer).Get("/portfolios/{id}/describe", s.handle(s.describePortfolio))
		r.With(admin).Delete("/portfolios/{id}", s.handle(s.deletePortfolio))

		r.With(viewer).Get("/scenarios", s.handle(s.listScenarios))
		r.With(viewer).Get("/scenarios/{name}", s.handle(s.getScenario))
		r.With(analyst, json).Post("/scenarios/validate", s.handle(s.validateScenario))

		// Jobs: each kind is one mountJobs call (POST and the shared
		// routes), plus routes of its own. Sweeps and top-ups go here.
		s.mountJobs(r, kindRun, json, viewer, analyst)
		r.With(viewer).Get("/runs/{id}/paths", s.handle(s.getRunPaths))
		s.mountJobs(r, kindSweep, json, viewer, analyst)
		s.mountJobs(r, kindTopup, json, viewer, analyst)
		s.mountJobs(r, kindSolve, json, viewer, analyst)

		// Reverse stress (api/reverse.go): answered while the client waits.
		r.With(analyst, json).Post("/reverse", s.handle(s.postReverse))

		// Calibration and backtest (api/calibrate.go): the table is the body.
		r.With(analyst, s.limitBody(s.cfg.MaxUploadBytes)).Post("/calibrate", s.handle(s.postCalibrate))
		r.With(analyst, s.limitBody(s.cfg.MaxUploadBytes)).Post("/backtest", s.handle(s.postBacktest))
	})
	return r
}

// mountJobs adds the routes every job kind has under its prefix (relative
// to /v1):
//
//	POST   prefix                  start (k.prepare checks the request)
//	GET    prefix                  list
//	GET    prefix/{id}             status and progress
//	DELETE prefix/{id}             cancel
//	GET    prefix/{id}/result      result document
//	POST   prefix/{id}/resubmit    start again with the same request
//	GET    prefix/{id}/tables/{t}  the kind's CSV tables, if it has any
func (s *Server) mountJobs(r chi.Router, k *jobKind, body, viewer, analyst func(http.Handler) http.Handler) {
	s.kinds = append(s.kinds, k)
	prefix := strings.TrimPrefix(k.Prefix, "/v1")
	r.With(analyst, body).Post(prefix, s.handle(func(w http.ResponseWriter, r *http.Request) error { return s.startJob(w, r, k) }))
	r.With(viewer).Get(prefix, s.handle(func(w http.ResponseWriter, r *http.Request) error { return s.listJobs(w, r, k) }))
	r.With(viewer).Get(prefix+"/{id}", s.handle(func(w http.ResponseWriter, r *http.Request) error { return s.getJob(w, r, k) }))
	r.With(analyst).Delete(prefix+"/{id}", s.handle(func(w http.ResponseWriter, r *http.Request) error { return s.cancelJob(w, r, k) }))
	r.With(viewer).Get(prefix+"/{id}/result", s.handle(func(w http.ResponseWriter, r *http.Request) error { return s.getJobResult(w, r, k) }))
	r.With(analyst, body).Post(prefix+"/{id}/resubmit", s.handle(func(w http.ResponseWriter, r *http.Request) error { return s.resubmitJob(w, r, k) }))
	if len(k.tables) > 0 {
		r.With(viewer).Get(prefix+"/{id}/tables/{table}", s.handle(func(w http.ResponseWriter, r *http.Request) error { return s.getJobTable(w, r, k) }))
	}
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{
		"service": "danbao",
		"openapi": "/openapi.yaml",
		"links": map[string]string{
			"portfolios": "/v1/portfolios", "scenarios": "/v1/scenarios", "runs": "/v1/runs",
			"health": "/healthz", "ready": "/readyz", "metrics": "/metrics",
		},
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 while the server accepts work: the database answers
// and the server is not shutting down.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if !s.ready.Load() {
		return &Error{Message: "The server is shutting down.", err: errBusy, RetryAfter: 30}
	}
	if err := s.store.db.PingContext(ctx); err != nil {
		s.log.Error("readyz: database", "err", err.Error())
		return &Error{Message: "The database does not answer.", err: errBusy, RetryAfter: 5}
	}
	s.sched.mu.Lock()
	st := map[string]any{"status": "ready", "queued": len(s.sched.pending), "running": s.sched.running,
		"max_running": s.sched.maxRunning, "memory_reserved_bytes": s.sched.reserved, "memory_budget_bytes": s.sched.budget}
	s.sched.mu.Unlock()
	return writeJSON(w, http.StatusOK, st)
}

// Serve serves HTTP on ln until ctx is done, then shuts down gracefully:
// /readyz turns 503, new jobs are refused, in-flight requests and running
// jobs get Config.ShutdownGrace to finish, jobs still running are then
// cancelled and recorded as interrupted, and the store is closed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error { return s.ServeHandler(ctx, ln, s) }

// ServeHandler is Serve with h answering the requests instead of the
// API's router alone: h is the API with other handlers mounted beside it
// (cmd/danbao mounts the dashboard).
func (s *Server) ServeHandler(ctx context.Context, ln net.Listener, h http.Handler) error {
	if s.cfg.NoAuth && !isLoopbackAddr(ln.Addr()) {
		s.Shutdown(ctx)
		return fmt.Errorf("api: authentication is off; refusing to serve on %s, which is not a loopback address", ln.Addr())
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	s.ready.Store(false)
	var wg sync.WaitGroup
	wg.Go(func() { s.sched.drain(sctx) })
	err := hs.Shutdown(sctx)
	if err != nil {
		hs.Close()
	}
	wg.Wait()
	s.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = nil // requests cut off after the grace period
	}
	return err
}

// isLoopbackAddr reports whether a listener's address only takes local clients.
func isLoopbackAddr(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// Shutdown refuses new jobs, lets running ones finish until ctx is done,
// interrupts the rest and closes the store. It is idempotent.
func (s *Server) Shutdown(ctx context.Context) {
	s.closeOnce.Do(func() {
		s.ready.Store(false)
		s.sched.drain(ctx)
		if err := s.store.Close(); err != nil {
			s.log.Error("close store", "err", err.Error())
		}
		s.log.Info("stopped")
	})
}
