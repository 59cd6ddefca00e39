package api

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/sim"
)

// runTable is a CSV table derived from a run's result document.
type runTable struct {
	name  string // URL name, e.g. "targets"
	file  string // file in the run's folder
	has   func(d *sim.Document) bool
	write func(w io.Writer, d *sim.Document) error
}

// runTables are the CSV tables of a run, written when the run finishes:
//
//	loss           year (0 = whole horizon), party, mean, sd, var_*, es_*, se_* (yuan)
//	defaults       year (0 = whole horizon), mean, sd, var_*, es_*, se_* (counts)
//	metrics        year, scope, metric, mean, q05, q50, q95 (projected balance sheets)
//	targets        id, scope, year, threshold, definition, p_hold, se, shortfall_*
//	outlays        county, year, total_*, risk_compensation_*, fee_subsidy_mean, p_budget_exhausted
//	contributions  level, dimension, segment, es_contribution (yuan), share of ES;
//	               with links also dimension chain (segment: the chain's
//	               smallest borrower id, or not_in_chain), largest first
//
// Each exists when the document has the figures.
var runTables = []runTable{
	{name: "loss", file: "loss.csv", has: func(d *sim.Document) bool { return len(d.Loss) > 0 }, write: writeLossTable},
	{name: "defaults", file: "defaults.csv", has: func(d *sim.Document) bool { return true }, write: writeDefaultsTable},
	{name: "metrics", file: "metrics.csv", has: hasMetrics, write: writeMetricsTable},
	{name: "targets", file: "targets.csv", has: func(d *sim.Document) bool { return len(d.Targets) > 0 }, write: writeTargetsTable},
	{name: "outlays", file: "outlays.csv", has: func(d *sim.Document) bool { return len(d.Outlays) > 0 }, write: writeOutlaysTable},
	{name: "contributions", file: "contributions.csv", has: func(d *sim.Document) bool { return d.Contributions != nil }, write: writeContributionsTable},
}

// statsHeader is the columns of a Stats in a table, after the key columns.
func statsHeader() []string {
	h := []string{"mean", "sd"}
	for _, p := range []string{"var_", "es_"} {
		for k := range sim.Levels {
			h = append(h, p+sim.LevelKey(k))
		}
	}
	h = append(h, "se_mean")
	for _, p := range []string{"se_var_", "se_es_"} {
		for k := range sim.Levels {
			h = append(h, p+sim.LevelKey(k))
		}
	}
	return h
}

// money formats a yuan amount as the document does (two decimals), or "".
func money(v sim.Money) string {
	b, _ := v.MarshalJSON()
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return "" // null
	}
	return s
}

func number(v sim.Number) string {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func quantileHeader(prefix string) []string {
	return []string{prefix + "mean", prefix + "q05", prefix + "q50", prefix + "q95"}
}

func quantileRow(q sim.Quantiles) []string {
	return []string{number(q.Mean), number(q.Q05), number(q.Q50), number(q.Q95)}
}

func hasMetrics(d *sim.Document) bool {
	for _, y := range d.Years {
		if len(y.Metrics) > 0 {
			return true
		}
	}
	return false
}

// writeMetricsTable writes the projected metrics: one row per year, scope
// (guarantor id or "city", city last) and metric (in sim.MetricNames order).
func writeMetricsTable(w io.Writer, d *sim.Document) error {
	cw := newCSVWriter(w)
	_ = cw.Write(append([]string{"year", "scope", "metric"}, quantileHeader("")...))
	for _, y := range d.Years {
		scopes := make([]string, 0, len(y.Metrics))
		for sc := range y.Metrics {
			if sc != sim.CityScope {
				scopes = append(scopes, sc)
			}
		}
		slices.Sort(scopes)
		if _, ok := y.Metrics[sim.CityScope]; ok {
			scopes = append(scopes, sim.CityScope)
		}
		for _, sc := range scopes {
			ms := y.Metrics[sc]
			names := slices.Collect(func(yield func(string) bool) {
				for _, n := range sim.MetricNames {
					if _, ok := ms[n]; ok && !yield(n) {
						return
					}
				}
			})
			var rest []string
			for n := range ms {
				if !slices.Contains(names, n) {
					rest = append(rest, n)
				}
			}
			slices.Sort(rest)
			for _, n := range append(names, rest...) {
				_ = cw.Write(append([]string{strconv.Itoa(y.Year), sc, n}, quantileRow(ms[n])...))
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeOutlaysTable writes each county's yearly outlays (sim.Outlay), by
// county code and year.
func writeOutlaysTable(w io.Writer, d *sim.Document) error {
	by := d.Outlays
	cw := newCSVWriter(w)
	h := []string{"county", "year"}
	h = append(h, quantileHeader("total_")...)
	h = append(h, quantileHeader("risk_compensation_")...)
	_ = cw.Write(append(h, "fee_subsidy_mean", "p_budget_exhausted"))
	counties := slices.Sorted(maps.Keys(by))
	for _, c := range counties {
		for _, o := range by[c] {
			row := append([]string{c, strconv.Itoa(o.Year)}, quantileRow(o.Total)...)
			row = append(row, quantileRow(o.RiskCompensation)...)
			_ = cw.Write(append(row, money(o.FeeSubsidyMean), number(o.BudgetExhaustedShare)))
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeContributionsTable writes the Euler ES contributions (sim.Contributions):
// one row per dimension (county, guarantor, industry, product, …) and
// segment, with its share of the ES.
func writeContributionsTable(w io.Writer, d *sim.Document) error {
	c := d.Contributions
	cw := newCSVWriter(w)
	_ = cw.Write([]string{"level", "dimension", "segment", "es_contribution", "share"})
	dims := make([]string, 0, len(c.By))
	for k := range c.By {
		dims = append(dims, k)
	}
	slices.Sort(dims)
	level := strconv.FormatFloat(c.Level, 'f', -1, 64)
	for _, dim := range dims {
		segs := make([]string, 0, len(c.By[dim]))
		for k := range c.By[dim] {
			segs = append(segs, k)
		}
		slices.Sort(segs)
		for _, sg := range segs {
			v := c.By[dim][sg]
			share := ""
			if es := float64(c.ES); es != 0 && !math.IsNaN(es) {
				share = number(sim.Number(float64(v) / es))
			}
			_ = cw.Write([]string{level, dim, sg, money(v), share})
		}
	}
	if cc := c.Chains; cc != nil { // dimension chain: every chain, largest first, then the loans in no chain
		share := func(v sim.Money) string {
			if es := float64(c.ES); es != 0 && !math.IsNaN(es) {
				return number(sim.Number(float64(v) / es))
			}
			return ""
		}
		for _, ch := range cc.Chains {
			_ = cw.Write([]string{level, "chain", ch.Chain, money(ch.ES), share(ch.ES)})
		}
		_ = cw.Write([]string{level, "chain", "not_in_chain", money(cc.NotInChain), share(cc.NotInChain)})
	}
	cw.Flush()
	return cw.Error()
}

func statsRow[V sim.Money | sim.Number](s sim.Stats[V], f func(V) string) []string {
	row := []string{f(s.Mean), f(s.SD)}
	for _, m := range []map[string]V{s.VaR, s.ES} {
		for k := range sim.Levels {
			row = append(row, f(m[sim.LevelKey(k)]))
		}
	}
	row = append(row, f(s.SE.Mean))
	for _, m := range []map[string]V{s.SE.VaR, s.SE.ES} {
		for k := range sim.Levels {
			row = append(row, f(m[sim.LevelKey(k)]))
		}
	}
	return row
}

// parties lists the keys of a loss map: total first, then the ledger's
// parties in allocation order, then any others sorted.
func parties(m map[string]sim.LossStats) []string {
	var out []string
	if _, ok := m[sim.PartyTotal]; ok {
		out = append(out, sim.PartyTotal)
	}
	for _, p := range sim.PartyNames {
		if _, ok := m[p]; ok {
			out = append(out, p)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(out, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func writeLossTable(w io.Writer, d *sim.Document) error {
	cw := newCSVWriter(w)
	_ = cw.Write(append([]string{"year", "party"}, statsHeader()...))
	emit := func(year int, m map[string]sim.LossStats) {
		for _, p := range parties(m) {
			_ = cw.Write(append([]string{strconv.Itoa(year), p}, statsRow(m[p], money)...))
		}
	}
	emit(0, d.Loss)
	for _, y := range d.Years {
		emit(y.Year, y.Loss)
	}
	cw.Flush()
	return cw.Error()
}

func writeDefaultsTable(w io.Writer, d *sim.Document) error {
	cw := newCSVWriter(w)
	_ = cw.Write(append([]string{"year"}, statsHeader()...))
	_ = cw.Write(append([]string{"0"}, statsRow(d.Defaults, number)...))
	for _, y := range d.Years {
		_ = cw.Write(append([]string{strconv.Itoa(y.Year)}, statsRow(y.Defaults, number)...))
	}
	cw.Flush()
	return cw.Error()
}

func writeTargetsTable(w io.Writer, d *sim.Document) error {
	cw := newCSVWriter(w)
	_ = cw.Write(append([]string{"id", "scope", "year", "threshold", "definition", "p_hold", "se"}, quantileHeader("shortfall_")...))
	for _, t := range d.Targets {
		row := []string{t.ID, t.Scope, strconv.Itoa(t.Year), number(t.Threshold), t.Definition, number(t.PHold), number(t.SE)}
		if t.Shortfall != nil {
			row = append(row, quantileRow(*t.Shortfall)...)
		} else {
			row = append(row, "", "", "", "")
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// pathsStreamToCSV converts a stored per-path Arrow IPC stream to the CSV
// that WritePathsArrow(w, r, PathsCSV) writes: same header, money in yuan
// with two decimals, integers in decimal.
func pathsStreamToCSV(w io.Writer, r io.Reader) error {
	rd, err := ipc.NewReader(r)
	if err != nil {
		return fmt.Errorf("read paths: %w", err)
	}
	defer rd.Release()
	bw := bufio.NewWriterSize(w, 1<<16)
	fields := rd.Schema().Fields()
	for i, f := range fields {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(f.Name)
	}
	bw.WriteByte('\n')
	var buf []byte
	for rd.Next() {
		rec := rd.RecordBatch()
		cols := rec.Columns()
		for row := 0; row < int(rec.NumRows()); row++ {
			buf = buf[:0]
			for c, col := range cols {
				if c > 0 {
					buf = append(buf, ',')
				}
				buf = appendCell(buf, col, row)
			}
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
	}
	if err := rd.Err(); err != nil {
		return fmt.Errorf("read paths: %w", err)
	}
	return bw.Flush()
}

// pathsStreamToFile rewrites a stored per-path Arrow IPC stream as an Arrow
// IPC file (same schema, metadata and batches).
func pathsStreamToFile(w io.Writer, r io.Reader) error {
	rd, err := ipc.NewReader(r)
	if err != nil {
		return fmt.Errorf("read paths: %w", err)
	}
	defer rd.Release()
	fw, err := ipc.NewFileWriter(w, ipc.WithSchema(rd.Schema()))
	if err != nil {
		return fmt.Errorf("write paths: %w", err)
	}
	for rd.Next() {
		if err := fw.Write(rd.RecordBatch()); err != nil {
			fw.Close()
			return fmt.Errorf("write paths: %w", err)
		}
	}
	if err := rd.Err(); err != nil {
		fw.Close()
		return fmt.Errorf("read paths: %w", err)
	}
	return fw.Close()
}

func appendCell(buf []byte, col arrow.Array, row int) []byte {
	if col.IsNull(row) {
		return buf
	}
	switch a := col.(type) {
	case *array.Int64:
		return strconv.AppendInt(buf, a.Value(row), 10)
	case *array.Int32:
		return strconv.AppendInt(buf, int64(a.Value(row)), 10)
	case *array.Decimal128:
		v := a.Value(row)
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		hi, lo := v.HighBits(), v.LowBits()
		if scale == 2 && ((hi == 0 && lo <= math.MaxInt64) || (hi == -1 && lo > math.MaxInt64)) {
			return append(buf, models.Cents(int64(lo)).String()...)
		}
		return append(buf, v.ToString(scale)...)
	case *array.Float64:
		return strconv.AppendFloat(buf, a.Value(row), 'g', -1, 64)
	default:
		return append(buf, col.ValueStr(row)...)
	}
}
