package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/wenzhou/danbao/api/dto"
	"github.com/wenzhou/danbao/api/web"
	"github.com/wenzhou/danbao/sim"
)

// serveWorkbook serves a succeeded job's result as an Excel workbook
// (web.RunWorkbook, SweepWorkbook, TopupWorkbook), built from its
// result.json. The workbook is built in memory before anything is
// written, so a failure is a clean error response.
func (s *Server) serveWorkbook(w http.ResponseWriter, rec *jobRecord, k *jobKind) error {
	if rec.State != dto.StateSucceeded {
		return resultUnavailable(rec)
	}
	b, err := os.ReadFile(filepath.Join(s.store.jobDir(rec.ID), resultFile))
	if err != nil {
		return fmt.Errorf("read the result of job %s: %w", rec.ID, err)
	}
	var write func(io.Writer) error
	switch k {
	case kindRun:
		var doc sim.Document
		if err = json.Unmarshal(b, &doc); err == nil {
			write = func(w io.Writer) error { return web.RunWorkbook(w, &doc, nil) }
		}
	case kindSweep:
		var res sim.SweepResult
		if err = json.Unmarshal(b, &res); err == nil {
			write = func(w io.Writer) error { return web.SweepWorkbook(w, &res) }
		}
	case kindTopup:
		var res sim.TopupResult
		if err = json.Unmarshal(b, &res); err == nil {
			write = func(w io.Writer) error { return web.TopupWorkbook(w, &res) }
		}
	default:
		err = fmt.Errorf("no workbook for jobs of kind %s", k.Name)
	}
	if err != nil {
		return fmt.Errorf("result of job %s: %w", rec.ID, err)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return fmt.Errorf("workbook of job %s: %w", rec.ID, err)
	}
	w.Header().Set("Content-Type", web.XLSXType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": rec.ID + ".xlsx"}))
	_, err = buf.WriteTo(w)
	return err
}
