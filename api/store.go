package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// store keeps metadata in SQLite (WAL) and bulky data in files under one
// data folder:
//
//	DIR/danbao.db                   portfolios and jobs tables
//	DIR/portfolios/ID/              Arrow snapshot (loans.arrow, guarantors.arrow)
//	DIR/jobs/ID/                    result.json, paths.arrows, tables
//	DIR/tmp/                        staging; emptied at start
//
// Files are written into tmp, synced, and renamed into place before the
// database row that points to them is committed, so after a crash a row
// always has its files; files without a row are removed at the next start.
// A store is safe for concurrent use.
type store struct {
	dir    string
	db     *sql.DB
	wmu    sync.Mutex // serializes writers (SQLite has one writer anyway)
	unlock func()     // releases the data folder's lock
}

const schemaSQL = `
CREATE TABLE IF NOT EXISTS portfolios (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	source      TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	owner       TEXT NOT NULL,
	loans       INTEGER NOT NULL,
	guarantors  INTEGER NOT NULL,
	as_of       TEXT NOT NULL,
	balance     TEXT NOT NULL,
	files       TEXT NOT NULL,
	links       INTEGER NOT NULL DEFAULT -1
);
CREATE TABLE IF NOT EXISTS jobs (
	id             TEXT PRIMARY KEY,
	kind           TEXT NOT NULL,
	state          TEXT NOT NULL,
	request        TEXT NOT NULL,
	portfolio_id   TEXT NOT NULL,
	owner          TEXT NOT NULL,
	created_at     TEXT NOT NULL,
	started_at     TEXT NOT NULL DEFAULT '',
	finished_at    TEXT NOT NULL DEFAULT '',
	error_code     TEXT NOT NULL DEFAULT '',
	error_message  TEXT NOT NULL DEFAULT '',
	estimate_bytes INTEGER NOT NULL DEFAULT 0,
	units          INTEGER NOT NULL DEFAULT 0,
	resubmit_of    TEXT NOT NULL DEFAULT '',
	resubmitted_as TEXT NOT NULL DEFAULT '',
	files          TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS jobs_kind_created ON jobs(kind, created_at);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
`

// openStore opens (creating if needed) the data folder dir.
func openStore(dir string) (*store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "portfolios"), filepath.Join(dir, "jobs"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			unlock()
		}
	}()
	// Staging leftovers of a crash are garbage.
	if ents, err := os.ReadDir(filepath.Join(dir, "tmp")); err == nil {
		for _, e := range ents {
			_ = os.RemoveAll(filepath.Join(dir, "tmp", e.Name()))
		}
	}
	db, err := openDB(filepath.Join(dir, "danbao.db"))
	if err != nil {
		return nil, err
	}
	s := &store{dir: dir, db: db, unlock: unlock}
	if _, err := db.Exec(schemaSQL); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	if err := s.countLinks(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.removeOrphans(); err != nil {
		db.Close()
		return nil, err
	}
	ok = true
	return s, nil
}

// countLinks fills the links count of portfolios stored before it was
// kept (a database from an earlier release: the column is added, −1 until
// counted) by reading each such snapshot once. A snapshot that cannot be
// read keeps −1, and its runs fail when they read it.
func (s *store) countLinks() error {
	var has int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('portfolios') WHERE name = 'links'`).Scan(&has); err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	if has == 0 {
		if _, err := s.db.Exec(`ALTER TABLE portfolios ADD COLUMN links INTEGER NOT NULL DEFAULT -1`); err != nil {
			return fmt.Errorf("add the portfolios' links count: %w", err)
		}
	}
	rows, err := s.db.Query(`SELECT id FROM portfolios WHERE links < 0`)
	if err != nil {
		return fmt.Errorf("list portfolios to count links: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		pf, err := snapshot.Read(s.portfolioDir(id))
		if err != nil {
			continue
		}
		if _, err := s.db.Exec(`UPDATE portfolios SET links = ? WHERE id = ?`, len(pf.Links), id); err != nil {
			return fmt.Errorf("count links of portfolio %s: %w", id, err)
		}
	}
	return nil
}

// openDB opens the SQLite database at path in WAL mode with full syncs.
func openDB(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(ON)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(8)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database and releases the data folder.
func (s *store) Close() error {
	err := s.db.Close()
	s.unlock()
	return err
}

// removeOrphans deletes portfolio and job folders that no row points to
// (a crash between the rename and the commit, or after a delete's commit).
func (s *store) removeOrphans() error {
	for _, table := range []string{"portfolios", "jobs"} {
		ents, err := os.ReadDir(filepath.Join(s.dir, table))
		if err != nil {
			return err
		}
		for _, e := range ents {
			var n int
			if err := s.db.QueryRow("SELECT count(*) FROM "+table+" WHERE id = ?", e.Name()).Scan(&n); err != nil {
				return fmt.Errorf("scan %s: %w", table, err)
			}
			if n == 0 {
				_ = os.RemoveAll(filepath.Join(s.dir, table, e.Name()))
			}
		}
	}
	return nil
}

// ---- files ----

// stage creates a fresh folder under tmp for building a portfolio or result.
func (s *store) stage(prefix string) (string, error) {
	return os.MkdirTemp(filepath.Join(s.dir, "tmp"), prefix)
}

// commitDir syncs every file in src and src itself, then renames src to dst
// (which must not exist) and syncs dst's parent.
func commitDir(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		if err := syncPath(filepath.Join(src, e.Name())); err != nil {
			return err
		}
	}
	if err := syncPath(src); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	return syncPath(filepath.Dir(dst))
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFile writes name in dir through write, then syncs it.
func writeFile(dir, name string, write func(io.Writer) error) (err error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := write(f); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Sync()
}

func (s *store) portfolioDir(id string) string { return filepath.Join(s.dir, "portfolios", id) }
func (s *store) jobDir(id string) string       { return filepath.Join(s.dir, "jobs", id) }

// ---- portfolios ----

// portfolioRecord is a portfolio's metadata row.
type portfolioRecord struct {
	ID         string
	Name       string
	Source     string // "upload", "example", …
	CreatedAt  time.Time
	Owner      string
	Loans      int
	Guarantors int
	AsOf       string
	Balance    models.Cents
	Files      []string // names of the uploaded files
	Links      int      // rows of the links table (guarantee chains), 0 without one
}

// insertPortfolio commits the staged snapshot folder dir as portfolio rec.ID.
// It fails with models.ErrConflict if the id is taken.
func (s *store) insertPortfolio(ctx context.Context, rec *portfolioRecord, staged string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM portfolios WHERE id = ?", rec.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return &Error{Message: fmt.Sprintf("A portfolio with id %q already exists.", rec.ID), err: models.ErrConflict,
			Fixes: []string{"Choose another id, or delete the existing portfolio first (admin)."}}
	}
	dst := s.portfolioDir(rec.ID)
	_ = os.RemoveAll(dst) // an orphan of a crash
	if err := commitDir(staged, dst); err != nil {
		return fmt.Errorf("commit portfolio %s: %w", rec.ID, err)
	}
	files, _ := json.Marshal(rec.Files)
	_, err := s.db.ExecContext(ctx, `INSERT INTO portfolios (id, name, source, created_at, owner, loans, guarantors, as_of, balance, files, links)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, rec.ID, rec.Name, rec.Source, fmtTime(rec.CreatedAt), rec.Owner,
		rec.Loans, rec.Guarantors, rec.AsOf, rec.Balance.String(), string(files), rec.Links)
	if err != nil {
		_ = os.RemoveAll(dst)
		return fmt.Errorf("insert portfolio %s: %w", rec.ID, err)
	}
	return nil
}

const portfolioCols = "id, name, source, created_at, owner, loans, guarantors, as_of, balance, files, links"

func scanPortfolio(sc interface{ Scan(...any) error }) (*portfolioRecord, error) {
	var r portfolioRecord
	var created, balance, files string
	if err := sc.Scan(&r.ID, &r.Name, &r.Source, &created, &r.Owner, &r.Loans, &r.Guarantors, &r.AsOf, &balance, &files, &r.Links); err != nil {
		return nil, err
	}
	r.CreatedAt = parseTime(created)
	r.Balance, _ = models.ParseCents(balance)
	_ = json.Unmarshal([]byte(files), &r.Files)
	return &r, nil
}

// portfolio returns the row of id, or a not-found error.
func (s *store) portfolio(ctx context.Context, id string) (*portfolioRecord, error) {
	r, err := scanPortfolio(s.db.QueryRowContext(ctx, "SELECT "+portfolioCols+" FROM portfolios WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("portfolio", id)
	}
	return r, err
}

func (s *store) portfolios(ctx context.Context) ([]*portfolioRecord, error) {
	return queryAll(ctx, s.db, scanPortfolio, "SELECT "+portfolioCols+" FROM portfolios ORDER BY created_at, id")
}

// queryAll runs the query q and returns its rows as scan reads them, in
// the query's order; the first error (of the query, a scan or the
// iteration) stops it.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(interface{ Scan(...any) error }) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// deletePortfolio removes a portfolio's row, then its files. It refuses
// (conflict) while a queued or running job uses the portfolio.
func (s *store) deletePortfolio(ctx context.Context, id string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var busy int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM jobs WHERE portfolio_id = ? AND state IN ('queued','running')", id).Scan(&busy); err != nil {
		return err
	}
	if busy > 0 {
		return &Error{Message: fmt.Sprintf("Portfolio %q is used by %d queued or running run(s).", id, busy), err: models.ErrConflict,
			Fixes: []string{"Wait for the runs to finish or cancel them, then delete."}}
	}
	res, err := s.db.ExecContext(ctx, "DELETE FROM portfolios WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("portfolio", id)
	}
	_ = os.RemoveAll(s.portfolioDir(id))
	return nil
}

// ---- jobs ----

var allStates = dto.States

func finished(state string) bool { return dto.Finished(state) }

// jobRecord is a job's metadata row.
type jobRecord struct {
	ID            string
	Kind          string // "run", later "sweep", "topup"
	State         string
	Request       json.RawMessage // the canonical request, for resubmission
	PortfolioID   string
	Owner         string
	CreatedAt     time.Time
	StartedAt     time.Time
	FinishedAt    time.Time
	ErrorCode     string
	ErrorMessage  string // client-safe
	Estimate      int64  // estimated peak memory, bytes
	Units         int64  // work units (paths) for progress and metrics
	ResubmitOf    string
	ResubmittedAs string
	Files         []string // files in the job's folder, when succeeded
}

const jobCols = "id, kind, state, request, portfolio_id, owner, created_at, started_at, finished_at, error_code, error_message, estimate_bytes, units, resubmit_of, resubmitted_as, files"

func scanJob(sc interface{ Scan(...any) error }) (*jobRecord, error) {
	var j jobRecord
	var req, created, started, fin, files string
	if err := sc.Scan(&j.ID, &j.Kind, &j.State, &req, &j.PortfolioID, &j.Owner, &created, &started, &fin,
		&j.ErrorCode, &j.ErrorMessage, &j.Estimate, &j.Units, &j.ResubmitOf, &j.ResubmittedAs, &files); err != nil {
		return nil, err
	}
	j.Request = json.RawMessage(req)
	j.CreatedAt, j.StartedAt, j.FinishedAt = parseTime(created), parseTime(started), parseTime(fin)
	_ = json.Unmarshal([]byte(files), &j.Files)
	return &j, nil
}

func (s *store) insertJob(ctx context.Context, j *jobRecord) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.insertJobLocked(ctx, s.db, j)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *store) insertJobLocked(ctx context.Context, db execer, j *jobRecord) error {
	_, err := db.ExecContext(ctx, `INSERT INTO jobs (id, kind, state, request, portfolio_id, owner, created_at, estimate_bytes, units, resubmit_of)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, j.ID, j.Kind, j.State, string(j.Request), j.PortfolioID, j.Owner,
		fmtTime(j.CreatedAt), j.Estimate, j.Units, j.ResubmitOf)
	if err != nil {
		return fmt.Errorf("insert job %s: %w", j.ID, err)
	}
	return nil
}

// insertResubmission inserts j (a copy of job j.ResubmitOf) and links the
// old job to it, in one transaction. It fails with a conflict if the old
// job was resubmitted already.
func (s *store) insertResubmission(ctx context.Context, j *jobRecord) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "UPDATE jobs SET resubmitted_as = ? WHERE id = ? AND resubmitted_as = ''", j.ID, j.ResubmitOf)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Message: fmt.Sprintf("Job %q was resubmitted already.", j.ResubmitOf), err: models.ErrConflict}
	}
	if err := s.insertJobLocked(ctx, tx, j); err != nil {
		return err
	}
	return tx.Commit()
}

// setJobState records a state change with its timestamp and, for a failure,
// the client-safe code and message.
func (s *store) setJobState(ctx context.Context, id, state string, at time.Time, code, msg string, files []string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var err error
	switch state {
	case dto.StateRunning:
		_, err = s.db.ExecContext(ctx, "UPDATE jobs SET state = ?, started_at = ? WHERE id = ?", state, fmtTime(at), id)
	default:
		fj, _ := json.Marshal(files)
		if files == nil {
			fj = []byte("[]")
		}
		_, err = s.db.ExecContext(ctx, "UPDATE jobs SET state = ?, finished_at = ?, error_code = ?, error_message = ?, files = ? WHERE id = ?",
			state, fmtTime(at), code, msg, string(fj), id)
	}
	if err != nil {
		return fmt.Errorf("set job %s %s: %w", id, state, err)
	}
	return nil
}

// commitJobFiles moves a finished job's staged folder into place and marks
// it succeeded, in that order (see store).
func (s *store) commitJobFiles(ctx context.Context, id, staged string, files []string, at time.Time) error {
	dst := s.jobDir(id)
	_ = os.RemoveAll(dst)
	if err := commitDir(staged, dst); err != nil {
		return fmt.Errorf("commit job %s files: %w", id, err)
	}
	return s.setJobState(ctx, id, dto.StateSucceeded, at, "", "", files)
}

func (s *store) job(ctx context.Context, id string) (*jobRecord, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, "SELECT "+jobCols+" FROM jobs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, models.ErrNotFound
	}
	return j, err
}

// jobs lists jobs of kind, newest first, optionally of one state, at most limit.
func (s *store) jobs(ctx context.Context, kind, state string, limit int) ([]*jobRecord, error) {
	q := "SELECT " + jobCols + " FROM jobs WHERE kind = ?"
	args := []any{kind}
	if state != "" {
		q += " AND state = ?"
		args = append(args, state)
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	return queryAll(ctx, s.db, scanJob, q, args...)
}

// countJobs returns the number of jobs by kind and state.
func (s *store) countJobs(ctx context.Context) (map[[2]string]int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT kind, state, count(*) FROM jobs GROUP BY kind, state")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[[2]string]int{}
	for rows.Next() {
		var k, st string
		var n int
		if err := rows.Scan(&k, &st, &n); err != nil {
			return nil, err
		}
		out[[2]string{k, st}] = n
	}
	return out, rows.Err()
}

// interruptInFlight marks every queued or running job interrupted: the
// process that ran them is gone. It returns how many there were.
func (s *store) interruptInFlight(ctx context.Context, at time.Time) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET state = ?, finished_at = ?, error_code = 'interrupted',
		error_message = 'The server stopped before the job finished; resubmit it.' WHERE state IN ('queued','running')`,
		dto.StateInterrupted, fmtTime(at))
	if err != nil {
		return 0, fmt.Errorf("mark interrupted jobs: %w", err)
	}
	return res.RowsAffected()
}

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction, so that
// times sort as text in the database.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// validID accepts ids of portfolios given by clients: 1–64 characters of
// lower-case letters, digits, '-' and '_', starting with a letter or digit.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '-' || c == '_'))
		if !ok {
			return false
		}
	}
	return !strings.Contains(s, "..")
}
