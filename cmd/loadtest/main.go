// Command loadtest holds concurrent clients against a running danbao
// server and reports latencies. It is a development tool, not part of the
// product binary; scripts/loadtest.sh starts a server on loopback and runs
// it against it.
//
//	go run ./cmd/loadtest --url http://127.0.0.1:8080 [--key KEY] [--clients 50] [--duration 30s]
//
// Each of --clients clients loops for --duration the way notebooks do:
// start a run (POST /v1/runs), poll its status every --poll until it ends,
// fetch the result document, and start again. A 429 or 503 is
// back-pressure, not an error: the client waits Retry-After (1–10 s) and
// retries. Anything else that is not the expected status, and every
// transport error, is an error.
//
// It prints the number of requests, errors and runs completed, and the
// nearest-rank percentiles of the latencies of status calls
// (GET /v1/runs/{id}), run submissions and result fetches. It exits with
// status 1 if there was any error, 2 on bad flags.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"time"
)

func main() {
	var o loadOptions
	f := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	f.StringVar(&o.url, "url", "http://127.0.0.1:8080", "server base URL")
	f.StringVar(&o.key, "key", "", "API key with the analyst role (default: env DANBAO_API_KEY)")
	f.IntVar(&o.clients, "clients", 50, "concurrent clients")
	f.DurationVar(&o.duration, "duration", 30*time.Second, "how long to hold the load")
	f.DurationVar(&o.poll, "poll", 50*time.Millisecond, "status poll interval of each client")
	f.StringVar(&o.portfolio, "portfolio", "example", "portfolio of the runs")
	f.IntVar(&o.paths, "paths", 1000, "paths per run")
	f.IntVar(&o.horizon, "horizon", 1, "horizon of the runs, years")
	if err := f.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if f.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "loadtest: unexpected arguments %q\n", f.Args())
		os.Exit(2)
	}
	if o.key == "" {
		o.key = os.Getenv("DANBAO_API_KEY")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := runLoad(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	rep.print(os.Stdout, o)
	if rep.errors > 0 {
		fmt.Fprintf(os.Stderr, "loadtest: %d errors\n", rep.errors)
		os.Exit(1)
	}
}

type loadOptions struct {
	url, key, portfolio     string
	clients, paths, horizon int
	duration, poll          time.Duration
}

// loadReport collects what the clients saw.
type loadReport struct {
	mu           sync.Mutex
	status       []time.Duration // GET /v1/runs/{id}
	submit       []time.Duration // POST /v1/runs (accepted)
	result       []time.Duration // GET /v1/runs/{id}/result
	requests     int
	errors       int
	backpressure int
	runs         int
	paths        int64
	firstErrors  []string
	elapsed      time.Duration
}

func (r *loadReport) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors++
	if len(r.firstErrors) < 10 {
		r.firstErrors = append(r.firstErrors, fmt.Sprintf(format, args...))
	}
}

func runLoad(ctx context.Context, o loadOptions) (*loadReport, error) {
	if o.clients < 1 || o.duration <= 0 {
		return nil, fmt.Errorf("need --clients ≥ 1 and a positive --duration")
	}
	client := &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 2 * o.clients, MaxIdleConnsPerHost: 2 * o.clients, IdleConnTimeout: time.Minute},
	}
	rep := &loadReport{}
	body, _ := json.Marshal(map[string]any{"portfolio": o.portfolio, "paths": o.paths, "horizon_years": o.horizon})
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	call := func(method, path string, body []byte) (int, http.Header, []byte, time.Duration, error) {
		req, err := http.NewRequestWithContext(ctx, method, o.url+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, nil, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+o.key)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, nil, 0, err
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		d := time.Since(start)
		rep.mu.Lock()
		rep.requests++
		rep.mu.Unlock()
		return res.StatusCode, res.Header, b, d, err
	}
	// wait sleeps d unless the load is over; it reports whether to go on.
	wait := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	started := time.Now()
	var wg sync.WaitGroup
	for range o.clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				code, hdr, b, d, err := call("POST", "/v1/runs", body)
				if ctx.Err() != nil {
					return
				}
				switch {
				case err != nil:
					rep.fail("POST /v1/runs: %v", err)
					wait(time.Second)
					continue
				case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
					rep.mu.Lock()
					rep.backpressure++
					rep.mu.Unlock()
					secs, _ := strconv.Atoi(hdr.Get("Retry-After"))
					wait(time.Duration(max(1, min(secs, 10))) * time.Second)
					continue
				case code != http.StatusAccepted:
					rep.fail("POST /v1/runs: %d %s", code, clip(b))
					wait(time.Second)
					continue
				}
				rep.mu.Lock()
				rep.submit = append(rep.submit, d)
				rep.mu.Unlock()
				var st struct {
					ID    string `json:"id"`
					State string `json:"state"`
				}
				if err := json.Unmarshal(b, &st); err != nil || st.ID == "" {
					rep.fail("POST /v1/runs: bad status document")
					continue
				}
				for ctx.Err() == nil && (st.State == "queued" || st.State == "running") {
					if !wait(o.poll) {
						return
					}
					code, _, b, d, err := call("GET", "/v1/runs/"+st.ID, nil)
					if ctx.Err() != nil {
						return
					}
					if err != nil || code != http.StatusOK {
						rep.fail("GET /v1/runs/%s: %d %v %s", st.ID, code, err, clip(b))
						break
					}
					rep.mu.Lock()
					rep.status = append(rep.status, d)
					rep.mu.Unlock()
					if err := json.Unmarshal(b, &st); err != nil {
						rep.fail("GET /v1/runs/%s: bad status document", st.ID)
						break
					}
				}
				if st.State != "succeeded" {
					if ctx.Err() == nil {
						rep.fail("run %s ended %s", st.ID, st.State)
					}
					continue
				}
				code, _, b, d, err = call("GET", "/v1/runs/"+st.ID+"/result", nil)
				if ctx.Err() != nil {
					return
				}
				if err != nil || code != http.StatusOK || !bytes.Contains(b, []byte(`"danbao.result/v1"`)) {
					rep.fail("GET /v1/runs/%s/result: %d %v", st.ID, code, err)
					continue
				}
				rep.mu.Lock()
				rep.result = append(rep.result, d)
				rep.runs++
				rep.paths += int64(o.paths)
				rep.mu.Unlock()
			}
		})
	}
	wg.Wait()
	rep.elapsed = time.Since(started)
	return rep, nil
}

func clip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// percentile returns the p-quantile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

func (r *loadReport) print(w io.Writer, o loadOptions) {
	fmt.Fprintf(w, "loadtest: %d clients for %v against %s (runs: %s, %d paths, %d-year horizon, poll %v)\n",
		o.clients, r.elapsed.Round(time.Millisecond), o.url, o.portfolio, o.paths, o.horizon, o.poll)
	fmt.Fprintf(w, "requests %d, errors %d, back-pressure answers (429/503) %d\n", r.requests, r.errors, r.backpressure)
	fmt.Fprintf(w, "runs completed %d (%.2f/s, %.0f paths/s)\n", r.runs, float64(r.runs)/r.elapsed.Seconds(), float64(r.paths)/r.elapsed.Seconds())
	for _, s := range []struct {
		name string
		d    []time.Duration
	}{{"status  GET /v1/runs/{id}", r.status}, {"submit  POST /v1/runs", r.submit}, {"result  GET /v1/runs/{id}/result", r.result}} {
		slices.Sort(s.d)
		fmt.Fprintf(w, "%-34s n=%-7d p50 %-9v p90 %-9v p99 %-9v max %v\n", s.name, len(s.d),
			percentile(s.d, 0.50).Round(10*time.Microsecond), percentile(s.d, 0.90).Round(10*time.Microsecond),
			percentile(s.d, 0.99).Round(10*time.Microsecond), percentile(s.d, 1).Round(10*time.Microsecond))
	}
	for _, e := range r.firstErrors {
		fmt.Fprintln(w, "error:", e)
	}
}
