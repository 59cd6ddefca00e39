package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wenzhou/danbao/api/dto"
)

// liveServer is a Server serving on a loopback port, as `danbao serve` does.
type liveServer struct {
	srv    *Server
	base   string
	cancel context.CancelFunc
	done   chan error
}

func startLive(t *testing.T, dir string) *liveServer {
	t.Helper()
	srv, err := NewServer(Config{DataDir: dir, Keys: testKeyList(), MaxConcurrentRuns: 2, Workers: 1,
		ShutdownGrace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.EnsurePortfolio(context.Background(), "big", "big synthetic", "example", bigPortfolio(t)); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ls := &liveServer{srv: srv, base: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { ls.done <- srv.Serve(ctx, ln) }()
	return ls
}

// stop shuts the server down gracefully and waits for Serve to return.
func (ls *liveServer) stop(t *testing.T) {
	t.Helper()
	ls.cancel()
	select {
	case err := <-ls.done:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop")
	}
}

// TestEndToEnd runs the real server on a loopback port: upload, run, poll,
// fetch the result and the Arrow paths, cancel a run, stop the server
// during a run, start it again on the same data folder and find
// everything; the run that was in flight is interrupted and resubmittable.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	ls := startLive(t, dir)
	get := func(base, path string, hdr map[string]string) *resp {
		return doAt(t, base, req{method: "GET", path: path, role: RoleViewer, header: hdr})
	}

	// Upload.
	csvs, _, _ := portfolioFiles(t, smallPortfolio(t))
	ct, body := multipartBody(t, map[string]string{"id": "e2e"},
		file{"loans", "loans.csv", csvs["loans.csv"]}, file{"guarantors", "guarantors.csv", csvs["guarantors.csv"]})
	if r := doAt(t, ls.base, req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: ct, body: body}); r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}

	// Run, poll, fetch.
	post := func(base string, body map[string]any) jobStatus {
		r := doAt(t, base, req{method: "POST", path: "/v1/runs", role: RoleAnalyst, ctype: "application/json", body: jsonBody(t, body)})
		if r.status != 202 {
			t.Fatalf("start run: %d %s", r.status, r.body)
		}
		var st jobStatus
		r.json(t, &st)
		return st
	}
	done := post(ls.base, map[string]any{"portfolio": "e2e", "paths": 500, "horizon_years": 2, "seed": 7})
	if st := waitRun(t, ls.base, done.ID, 30*time.Second); st.State != dto.StateSucceeded {
		t.Fatalf("run: %+v", st)
	}
	result := get(ls.base, "/v1/runs/"+done.ID+"/result", nil).body
	arrowPaths := get(ls.base, "/v1/runs/"+done.ID+"/paths", map[string]string{"Accept": MediaTypeArrowStream}).body
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rd, err := ipc.NewReader(bytes.NewReader(arrowPaths), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for rd.Next() {
		rows += int(rd.RecordBatch().NumRows())
	}
	if rd.Err() != nil || rows != 500 {
		t.Errorf("Arrow paths: %d rows, %v", rows, rd.Err())
	}
	rd.Release()
	mem.AssertSize(t, 0)
	targets := get(ls.base, "/v1/runs/"+done.ID+"/tables/targets", map[string]string{"Accept": "text/csv"}).body

	// Cancel a run.
	cancelled := post(ls.base, longRun())
	waitProgress(t, ls.base, cancelled.ID, 20*time.Second)
	r := doAt(t, ls.base, req{method: "DELETE", path: "/v1/runs/" + cancelled.ID, role: RoleAnalyst})
	var st jobStatus
	r.json(t, &st)
	if st.State != dto.StateCancelled {
		t.Errorf("cancelled run: %s", st.State)
	}

	// Stop the server while a run is in flight and another waits.
	inflight := post(ls.base, longRun())
	waitProgress(t, ls.base, inflight.ID, 20*time.Second)
	ls.stop(t)

	// Start again on the same folder: everything is there.
	ls2 := startLive(t, dir)
	if _, err := NewServer(Config{DataDir: dir, Keys: testKeyList()}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a second server on the same folder: %v, want refused", err)
	}
	defer ls2.stop(t)
	r = get(ls2.base, "/v1/portfolios/e2e", nil)
	if r.status != 200 {
		t.Errorf("uploaded portfolio after restart: %d", r.status)
	}
	r = get(ls2.base, "/v1/runs/"+done.ID, nil)
	r.json(t, &st)
	if st.State != dto.StateSucceeded {
		t.Errorf("finished run after restart: %s", st.State)
	}
	for _, c := range []struct {
		path string
		hdr  map[string]string
		want []byte
	}{
		{"/v1/runs/" + done.ID + "/result", nil, result},
		{"/v1/runs/" + done.ID + "/paths", nil, arrowPaths},
		{"/v1/runs/" + done.ID + "/tables/targets", nil, targets},
	} {
		if r := get(ls2.base, c.path, c.hdr); r.status != 200 || !bytes.Equal(r.body, c.want) {
			t.Errorf("GET %s after restart: %d, %d bytes, want the %d bytes served before", c.path, r.status, len(r.body), len(c.want))
		}
	}
	r = get(ls2.base, "/v1/runs/"+cancelled.ID, nil)
	r.json(t, &st)
	if st.State != dto.StateCancelled {
		t.Errorf("cancelled run after restart: %s", st.State)
	}
	r = get(ls2.base, "/v1/runs/"+inflight.ID, nil)
	r.json(t, &st)
	if st.State != dto.StateInterrupted || st.Links["resubmit"] == "" || st.Error == nil || st.Error.Code != "interrupted" {
		t.Fatalf("in-flight run after restart: %+v", st)
	}
	r = doAt(t, ls2.base, req{method: "POST", path: st.Links["resubmit"], role: RoleAnalyst})
	if r.status != 202 {
		t.Fatalf("resubmit: %d %s", r.status, r.body)
	}
	var again jobStatus
	r.json(t, &again)
	doAt(t, ls2.base, req{method: "DELETE", path: "/v1/runs/" + again.ID, role: RoleAnalyst})
}

// TestKillDuringRun builds the danbao binary, starts `danbao serve`, kills
// it with SIGKILL during a run, and checks that the SQLite database opens
// clean (PRAGMA integrity_check), nothing finished was lost and the
// in-flight run is interrupted; then it stops the restarted server with
// SIGTERM and expects a clean exit.
func TestKillDuringRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "danbao")
	build := exec.Command("go", "build", "-o", bin, "github.com/wenzhou/danbao/cmd/danbao")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(tmp, "data")
	keys := "admin:" + testKeys[RoleAdmin] + ",analyst:" + testKeys[RoleAnalyst] + ",viewer:" + testKeys[RoleViewer]

	start := func() (*exec.Cmd, string, *bytes.Buffer) {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--max-concurrent-runs", "2", "--workers", "1", "--shutdown-grace", "500ms")
		cmd.Env = append(os.Environ(), "DANBAO_API_KEYS="+keys)
		var logs bytes.Buffer
		cmd.Stderr = &logs
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		lines := make(chan string, 8)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
			io.Copy(io.Discard, out)
		}()
		timeout := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("danbao serve exited before serving:\n%s", logs.String())
				}
				if u, ok := strings.CutPrefix(l, "danbao: serving "); ok {
					return cmd, strings.Fields(u)[0], &logs
				}
			case <-timeout:
				t.Fatalf("danbao serve did not start:\n%s", logs.String())
			}
		}
	}

	cmd, base, _ := start()
	if r := doAt(t, base, req{method: "GET", path: "/readyz"}); r.status != 200 {
		t.Fatalf("readyz: %d", r.status)
	}
	csvs, _, _ := portfolioFiles(t, smallPortfolio(t))
	ct, body := multipartBody(t, map[string]string{"id": "uploaded"},
		file{"loans", "loans.csv", csvs["loans.csv"]}, file{"guarantors", "guarantors.csv", csvs["guarantors.csv"]})
	if r := doAt(t, base, req{method: "POST", path: "/v1/portfolios", role: RoleAnalyst, ctype: ct, body: body}); r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	post := func(base string, body map[string]any) jobStatus {
		r := doAt(t, base, req{method: "POST", path: "/v1/runs", role: RoleAnalyst, ctype: "application/json", body: jsonBody(t, body)})
		if r.status != 202 {
			t.Fatalf("start run: %d %s", r.status, r.body)
		}
		var st jobStatus
		r.json(t, &st)
		return st
	}
	finishedRun := post(base, map[string]any{"portfolio": "uploaded", "paths": 400})
	if st := waitRun(t, base, finishedRun.ID, 60*time.Second); st.State != dto.StateSucceeded {
		t.Fatalf("run: %+v", st)
	}
	result := doAt(t, base, req{method: "GET", path: "/v1/runs/" + finishedRun.ID + "/result", role: RoleViewer}).body
	// The embedded example, dense: about a minute of work.
	inflight := post(base, map[string]any{"portfolio": "example", "paths": 50_000, "horizon_years": 1, "sampler": "dense"})
	waitProgress(t, base, inflight.ID, 60*time.Second)

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// The database the killed process left opens clean, with the run still "running".
	checkDB := func(wantState string) {
		t.Helper()
		db, err := openDB(filepath.Join(data, "danbao.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var ok, state string
		if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
			t.Errorf("integrity_check: %q %v", ok, err)
		}
		if err := db.QueryRow("SELECT state FROM jobs WHERE id = ?", inflight.ID).Scan(&state); err != nil || state != wantState {
			t.Errorf("in-flight run in the database: %q %v, want %s", state, err, wantState)
		}
	}
	checkDB(dto.StateRunning)

	cmd2, base2, logs2 := start()
	var st jobStatus
	doAt(t, base2, req{method: "GET", path: "/v1/runs/" + inflight.ID, role: RoleViewer}).json(t, &st)
	if st.State != dto.StateInterrupted || st.Links["resubmit"] == "" {
		t.Errorf("in-flight run after kill -9: %+v", st)
	}
	doAt(t, base2, req{method: "GET", path: "/v1/runs/" + finishedRun.ID, role: RoleViewer}).json(t, &st)
	if st.State != dto.StateSucceeded {
		t.Errorf("finished run after kill -9: %s", st.State)
	}
	if r := doAt(t, base2, req{method: "GET", path: "/v1/runs/" + finishedRun.ID + "/result", role: RoleViewer}); !bytes.Equal(r.body, result) {
		t.Errorf("result after kill -9 differs (%d bytes, want %d)", len(r.body), len(result))
	}
	var list struct{ Portfolios []portfolioDoc }
	doAt(t, base2, req{method: "GET", path: "/v1/portfolios", role: RoleViewer}).json(t, &list)
	if len(list.Portfolios) != 2 {
		t.Errorf("portfolios after kill -9: %+v", list.Portfolios)
	}

	// SIGTERM: a graceful stop, exit status 0.
	if err := cmd2.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd2.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM: %v\n%s", err, logs2.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit 30 s after SIGTERM")
	}
	if !strings.Contains(logs2.String(), `"msg":"stopped"`) {
		t.Errorf("no graceful stop in the logs:\n%s", logs2.String())
	}
	checkDB(dto.StateInterrupted)
}
