package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer answers the three calls the clients make: a run is accepted
// queued, reported succeeded on its first status call, and its result is a
// danbao.result/v1 document. If fail is set, submissions answer 500.
func fakeServer(t *testing.T, fail bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/runs", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		if fail {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"id":"r%d","state":"queued"}`, n.Add(1))
	})
	mux.HandleFunc("GET /v1/runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":%q,"state":"succeeded"}`, r.PathValue("id"))
	})
	mux.HandleFunc("GET /v1/runs/{id}/result", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"schema":"danbao.result/v1"}`)
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s, &n
}

func TestRunLoadCountsCompletedRuns(t *testing.T) {
	s, submitted := fakeServer(t, false)
	o := loadOptions{url: s.URL, key: "k", clients: 3, duration: 300 * time.Millisecond, poll: time.Millisecond, portfolio: "example", paths: 10, horizon: 1}
	rep, err := runLoad(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.errors != 0 {
		t.Fatalf("errors %d: %v", rep.errors, rep.firstErrors)
	}
	// Every completed run was submitted once, polled at least once and fetched once.
	if rep.runs == 0 || int64(rep.runs) > submitted.Load() || len(rep.result) != rep.runs || len(rep.status) < rep.runs {
		t.Fatalf("runs %d, submitted %d, results %d, status calls %d", rep.runs, submitted.Load(), len(rep.result), len(rep.status))
	}
	if rep.paths != int64(rep.runs)*10 {
		t.Errorf("paths %d, want %d", rep.paths, rep.runs*10)
	}
	var out strings.Builder
	rep.print(&out, o)
	if !strings.Contains(out.String(), fmt.Sprintf("runs completed %d ", rep.runs)) {
		t.Errorf("report does not give the runs completed:\n%s", out.String())
	}
}

func TestRunLoadReportsServerErrors(t *testing.T) {
	s, _ := fakeServer(t, true)
	o := loadOptions{url: s.URL, key: "k", clients: 2, duration: 200 * time.Millisecond, poll: time.Millisecond}
	rep, err := runLoad(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.errors == 0 || rep.runs != 0 || !strings.Contains(rep.firstErrors[0], "500") {
		t.Fatalf("errors %d, runs %d, first errors %v", rep.errors, rep.runs, rep.firstErrors)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	d := []time.Duration{10, 20, 30, 40}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0, 10}, {0.25, 10}, {0.26, 20}, {0.5, 20}, {0.75, 30}, {0.99, 40}, {1, 40}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v (rank ⌈p·n⌉)", d, c.p, got, c.want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestBadOptionsAreRefused(t *testing.T) {
	if _, err := runLoad(context.Background(), loadOptions{clients: 0, duration: time.Second}); err == nil {
		t.Error("0 clients accepted")
	}
}
