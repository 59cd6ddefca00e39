package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
)

// portfolioDoc is the JSON of a portfolio (api/dto).
type portfolioDoc = dto.Portfolio

func docOf(rec *portfolioRecord) *portfolioDoc {
	self := "/v1/portfolios/" + rec.ID
	files := rec.Files
	if files == nil {
		files = []string{}
	}
	return &portfolioDoc{ID: rec.ID, Name: rec.Name, Source: rec.Source, CreatedAt: fmtTime(rec.CreatedAt), Owner: rec.Owner,
		Loans: rec.Loans, Guarantors: rec.Guarantors, AsOf: rec.AsOf, Balance: rec.Balance, Files: files,
		Links: map[string]string{"self": self, "describe": self + "/describe"}}
}

func (s *Server) listPortfolios(w http.ResponseWriter, r *http.Request) error {
	recs, err := s.store.portfolios(r.Context())
	if err != nil {
		return err
	}
	out := make([]*portfolioDoc, len(recs))
	for i, rec := range recs {
		out[i] = docOf(rec)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"portfolios": out})
}

func (s *Server) getPortfolio(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.store.portfolio(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, docOf(rec))
}

func (s *Server) deletePortfolio(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if err := s.store.deletePortfolio(r.Context(), id); err != nil {
		return err
	}
	s.cacheMu.Lock()
	delete(s.cache, id)
	s.cacheMu.Unlock()
	s.log.Info("portfolio deleted", "request_id", requestID(r.Context()), "portfolio", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// describePortfolio serves today's position (models.Describe) under the
// policy and targets of ?scenario= (default baseline).
func (s *Server) describePortfolio(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if _, err := s.store.portfolio(r.Context(), id); err != nil {
		return err
	}
	in := scenarioInput{}
	if name := r.URL.Query().Get("scenario"); name != "" {
		in.Scenario = []byte(strconv.Quote(name))
	}
	sc, err := in.resolve(nil)
	if err != nil {
		return err
	}
	pf, err := s.portfolioData(id)
	if err != nil {
		return err
	}
	pos := models.Describe(pf, sc.Policy, sc.Targets)
	return writeJSON(w, http.StatusOK, map[string]any{"portfolio": id, "scenario": sc.Name, "position": pos})
}

// Upload form fields.
const (
	fieldLoans      = "loans"
	fieldGuarantors = "guarantors"
	fieldWorkbook   = "workbook" // one XLSX with sheets "loans" and "guarantors"
	fieldLinks      = "links"    // optional: guarantees between borrowers (docs/chains.md)
	maxFieldBytes   = 4 << 10
)

// uploadExts are the file types an upload may have, by extension.
var uploadExts = []string{".arrow", ".feather", ".ipc", ".parquet", ".pq", ".csv", ".tsv", ".xlsx", ".xlsm", ".xltx", ".xltm"}

type uploadedFile struct {
	name string // the client's file name (base name), for messages
	path string // where it was saved
	size int64  // bytes
}

// uploadEstimate is the memory budget of importing uploaded files of size
// bytes in all: 32 bytes per byte of input, at least 64 MiB. Reading takes
// about 3 bytes per byte of CSV or Arrow (a row of text becomes a
// models.Loan of about 200 bytes) and up to about 15 per byte of
// compressed Parquet; an import that would need more is refused with a
// problem (snapshot.Limits.MaxBytes) rather than allowed to grow.
func uploadEstimate(size int64) int64 { return max(64<<20, 32*size) }

// uploadPortfolio imports a multipart upload: files "loans" and
// "guarantors" (Arrow, Parquet, CSV, TSV or XLSX, by extension) or one
// XLSX "workbook" with both sheets; optional fields "id", "name",
// "as_of" (YYYY-MM-DD) and "lenient_money" (true/false). Every problem of
// the tables is a 422 listing the rows; nothing is stored unless the whole
// portfolio is valid.
func (s *Server) uploadPortfolio(w http.ResponseWriter, r *http.Request) error {
	if mt := mediaType(r); mt != "multipart/form-data" {
		return &Error{Message: fmt.Sprintf("A portfolio upload is multipart/form-data, not %q.", r.Header.Get("Content-Type")),
			err: errUnsupportedMedia, Fixes: []string{"Send files loans and guarantors (or one XLSX workbook) as multipart/form-data, e.g. curl -F loans=@loans.csv -F guarantors=@guarantors.csv."}}
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return badRequest("The multipart body cannot be read: no boundary.")
	}
	stage, err := s.store.stage("upload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)

	fields := map[string]string{}
	files := map[string]uploadedFile{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return badRequest("The multipart body is malformed.")
		}
		name := part.FormName()
		switch name {
		case "id", "name", "as_of", "lenient_money":
			if part.FileName() != "" {
				return badRequest("Field %s must be a text field, not a file.", name)
			}
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return partError(err)
			}
			if len(b) > maxFieldBytes {
				return badRequest("Field %s is longer than %d bytes.", name, maxFieldBytes)
			}
			fields[name] = strings.TrimSpace(string(b))
		case fieldLoans, fieldGuarantors, fieldWorkbook, fieldLinks:
			if _, dup := files[name]; dup {
				return badRequest("File %s is given twice.", name)
			}
			f, err := s.saveUpload(stage, name, part)
			if err != nil {
				return err
			}
			files[name] = f
		default:
			return &Error{Message: fmt.Sprintf("Unknown form field %q.", name), err: errBadRequest,
				Fixes: []string{"Send files loans and guarantors, or workbook, and optionally links; fields id, name, as_of, lenient_money."}}
		}
		part.Close()
	}

	id := fields["id"]
	if id == "" {
		id = newID("pf_", 6)
	} else if !validID(id) {
		return &Error{Message: fmt.Sprintf("Portfolio id %q is not allowed.", id), err: models.ErrInvalid,
			Fixes: []string{"Use 1–64 lower-case letters, digits, '-' or '_', starting with a letter or digit."}}
	}
	if _, err := s.store.portfolio(r.Context(), id); err == nil {
		return &Error{Message: fmt.Sprintf("A portfolio with id %q already exists.", id), err: models.ErrConflict,
			Fixes: []string{"Choose another id, or delete the existing portfolio first (admin)."}}
	}
	var opts snapshot.ImportOptions
	if v := fields["as_of"]; v != "" {
		d, err := models.ParseDate(v)
		if err != nil {
			return &Error{Message: fmt.Sprintf("as_of %q is not a date YYYY-MM-DD.", v), err: models.ErrInvalid}
		}
		opts.AsOf = d
	}
	if v := fields["lenient_money"]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &Error{Message: fmt.Sprintf("lenient_money %q is not true or false.", v), err: models.ErrInvalid}
		}
		opts.LenientMoney = b
	}

	lf, lok := files[fieldLoans]
	gf, gok := files[fieldGuarantors]
	wb, wok := files[fieldWorkbook]
	switch {
	case wok && (lok || gok):
		return badRequest("Send either a workbook or the files loans and guarantors, not both.")
	case wok:
		lf, gf = wb, wb
	case !lok || !gok:
		var missing []string
		if !lok {
			missing = append(missing, fieldLoans)
		}
		if !gok {
			missing = append(missing, fieldGuarantors)
		}
		return &Error{Message: "The upload lacks the " + strings.Join(missing, " and ") + " table.", err: models.ErrMissing,
			Fixes: []string{"Send both files loans and guarantors (or one XLSX workbook with sheets loans and guarantors)."}}
	}
	// The import is admitted against the memory budget shared with jobs,
	// and may use no more than it was admitted with.
	est := uploadEstimate(lf.size + gf.size)
	if wok {
		est = uploadEstimate(wb.size)
	}
	var links *uploadedFile
	if kf, ok := files[fieldLinks]; ok {
		links = &kf
		est = uploadEstimate(lf.size + gf.size + kf.size)
		if wok {
			est = uploadEstimate(wb.size + kf.size)
		}
	}
	release, err := s.sched.reserve("upload", est)
	if err != nil {
		return err
	}
	defer release()
	opts.Limits = snapshot.Limits{MaxRows: s.cfg.MaxRows, MaxBytes: est, TempDir: stage}
	pf, warnings, err := importFiles(lf, gf, links, opts)
	if err != nil {
		return err
	}
	snapDir := filepath.Join(stage, "snapshot")
	if err := snapshot.Write(snapDir, pf); err != nil {
		if errors.Is(err, models.ErrInvalid) {
			return err
		}
		return fmt.Errorf("write snapshot: %w", err)
	}
	rec := &portfolioRecord{ID: id, Name: fields["name"], Source: "upload", CreatedAt: time.Now().UTC(),
		Owner: principalOf(r.Context()).Name}
	saved := []uploadedFile{lf, gf}
	if links != nil {
		saved = append(saved, *links)
	}
	for _, f := range saved {
		if !contains(rec.Files, f.name) {
			rec.Files = append(rec.Files, f.name)
		}
	}
	fillStats(rec, pf)
	if rec.Name == "" {
		rec.Name = id
	}
	if err := s.store.insertPortfolio(r.Context(), rec, snapDir); err != nil {
		return err
	}
	s.cachePut(id, pf)
	s.log.Info("portfolio uploaded", "request_id", requestID(r.Context()), "portfolio", id, "loans", rec.Loans)
	doc := docOf(rec)
	doc.Warnings = warnings
	w.Header().Set("Location", "/v1/portfolios/"+id)
	return writeJSON(w, http.StatusCreated, doc)
}

// saveUpload writes one file part into dir and returns where.
func (s *Server) saveUpload(dir, field string, part *multipart.Part) (uploadedFile, error) {
	fn := filepath.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))
	if part.FileName() == "" || fn == "." || fn == "/" {
		return uploadedFile{}, badRequest("Part %s must be a file (with a filename).", field)
	}
	ext := strings.ToLower(filepath.Ext(fn))
	if !contains(uploadExts, ext) {
		return uploadedFile{}, &Error{Message: fmt.Sprintf("File %q of %s has an unsupported type %q.", fn, field, ext), err: errUnsupportedMedia,
			Fixes: []string{"Upload Arrow (.arrow), Parquet (.parquet), CSV (.csv, .tsv) or Excel (.xlsx) files."}}
	}
	if field == fieldWorkbook && !strings.HasPrefix(ext, ".xl") {
		return uploadedFile{}, &Error{Message: fmt.Sprintf("The workbook %q must be an Excel file.", fn), err: errUnsupportedMedia}
	}
	path := filepath.Join(dir, field+ext)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return uploadedFile{}, err
	}
	n, err := io.Copy(f, part)
	if cerr := f.Close(); err == nil && cerr != nil {
		return uploadedFile{}, fmt.Errorf("save upload: %w", cerr)
	}
	if err != nil {
		return uploadedFile{}, partError(err)
	}
	return uploadedFile{name: fn, path: path, size: n}, nil
}

// partError reports a failed read of a multipart part: too large, or cut.
func partError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return badRequest("The upload was cut off or is malformed.")
}

// importFiles imports the saved tables, naming them as the client did;
// kf, the links table, may be nil.
func importFiles(lf, gf uploadedFile, kf *uploadedFile, opts snapshot.ImportOptions) (*models.Portfolio, []string, error) {
	l, err := os.Open(lf.path)
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	g, err := os.Open(gf.path)
	if err != nil {
		return nil, nil, err
	}
	defer g.Close()
	var (
		pf       *models.Portfolio
		warnings []string
	)
	if kf == nil {
		pf, warnings, err = snapshot.ImportFrom(snapshot.Input{Name: lf.name, R: l}, snapshot.Input{Name: gf.name, R: g}, opts)
	} else {
		k, kerr := os.Open(kf.path)
		if kerr != nil {
			return nil, nil, kerr
		}
		defer k.Close()
		pf, warnings, err = snapshot.ImportWithLinks(snapshot.Input{Name: lf.name, R: l}, snapshot.Input{Name: gf.name, R: g},
			snapshot.Input{Name: kf.name, R: k}, opts)
	}
	if err != nil {
		var pe *models.ProblemsError
		if errors.As(err, &pe) {
			return nil, warnings, err
		}
		// Anything else is about the file as a whole; say so without detail.
		if errors.Is(err, models.ErrInvalid) || errors.Is(err, models.ErrMissing) {
			return nil, warnings, &Error{Message: "The files could not be read as portfolio tables.", err: models.ErrInvalid}
		}
		return nil, warnings, fmt.Errorf("import upload: %w", err)
	}
	return pf, warnings, nil
}

// fillStats sets the row's summary figures from pf.
func fillStats(rec *portfolioRecord, pf *models.Portfolio) {
	rec.Loans, rec.Guarantors, rec.Links = len(pf.Loans), len(pf.Guarantors), len(pf.Links)
	if !pf.AsOf.IsZero() {
		rec.AsOf = pf.AsOf.String()
	}
	rec.Balance = 0
	for i := range pf.Loans {
		rec.Balance += pf.Loans[i].Balance
	}
}

// EnsurePortfolio stores pf as portfolio id unless one with that id exists
// (then it does nothing). cmd/danbao uses it to load the embedded example.
func (s *Server) EnsurePortfolio(ctx context.Context, id, name, source string, pf *models.Portfolio) error {
	if !validID(id) {
		return fmt.Errorf("api: portfolio id %q not allowed", id)
	}
	if _, err := s.store.portfolio(ctx, id); err == nil {
		return nil
	}
	stage, err := s.store.stage("ensure-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	dir := filepath.Join(stage, "snapshot")
	if err := snapshot.Write(dir, pf); err != nil {
		return fmt.Errorf("api: write portfolio %s: %w", id, err)
	}
	rec := &portfolioRecord{ID: id, Name: name, Source: source, CreatedAt: time.Now().UTC(), Owner: "server"}
	fillStats(rec, pf)
	if err := s.store.insertPortfolio(ctx, rec, dir); err != nil {
		return fmt.Errorf("api: %w", err)
	}
	s.cachePut(id, pf)
	return nil
}

// cachedPortfolio is a portfolio held in memory between runs. Portfolios
// are immutable once stored, so runs share one copy.
type cachedPortfolio struct {
	pf   *models.Portfolio
	used uint64
}

// portfolioCacheSize is how many portfolios stay in memory.
const portfolioCacheSize = 8

// portfolioData returns portfolio id's loans and guarantors, from the cache
// or read from its snapshot.
func (s *Server) portfolioData(id string) (*models.Portfolio, error) {
	s.cacheMu.Lock()
	if c := s.cache[id]; c != nil {
		s.tick++
		c.used = s.tick
		s.cacheMu.Unlock()
		return c.pf, nil
	}
	s.cacheMu.Unlock()
	pf, err := snapshot.Options{Limits: snapshot.Limits{MaxRows: s.cfg.MaxRows}}.Read(s.store.portfolioDir(id))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, notFound("portfolio", id)
		}
		return nil, fmt.Errorf("read portfolio %s: %w", id, err)
	}
	s.cachePut(id, pf)
	return pf, nil
}

func (s *Server) cachePut(id string, pf *models.Portfolio) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	s.tick++
	s.cache[id] = &cachedPortfolio{pf: pf, used: s.tick}
	for len(s.cache) > portfolioCacheSize {
		oldest, ou := "", ^uint64(0)
		for k, c := range s.cache {
			if c.used < ou {
				oldest, ou = k, c.used
			}
		}
		delete(s.cache, oldest)
	}
}
