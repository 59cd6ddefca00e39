package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/internal/format"
	"github.com/wenzhou/danbao/models/synth"
	"github.com/wenzhou/danbao/sim"
)

// TestRunPageChains: the run page of a portfolio with guarantee chains
// shows the chain block, Chinese first: the direct and contagion loss and
// defaults as the result document has them (万元), the largest cascades
// (root borrower, firms, defaults, loss in 万元, with the loss's
// definition) and the chains' ES contributions.
func TestRunPageChains(t *testing.T) {
	pf, err := synth.Generate(synth.Options{Loans: 400, Seed: 7, Chains: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, pf)
	c := ts.client(t, analystKey)
	resp, body := postForm(t, c, ts.URL+"/ui/runs", url.Values{"portfolio": {"example"}, "scenario": {"baseline"},
		"paths": {"1,000"}, "seed": {"3"}, "horizon": {"2"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /ui/runs = %d\n%s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	if state := waitRun(t, ts, c, strings.TrimPrefix(loc, "/ui/runs/")); state != "succeeded" {
		t.Fatalf("run %s", state)
	}
	_, raw := get(t, c, ts.URL+loc+"/download/result.json")
	var doc sim.Document
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	cg := doc.Contagion
	if cg == nil || len(cg.Cascades) == 0 || doc.Contributions == nil || doc.Contributions.Chains == nil {
		t.Fatalf("the run has no cascades or chain contributions: %+v", cg)
	}
	resp, page := get(t, c, ts.URL+loc)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", loc, resp.StatusCode)
	}
	checkReadable(t, "result page with chains", page)
	wan := func(x sim.Money) string { return format.In(float64(x), format.Wan) }
	section := page[strings.Index(page, `id="contagion"`):]
	for _, want := range []string{
		"担保链传染", "Guarantee chains", "直接违约", "担保链传染", "最大的十次连锁违约", "根借款人", "不含根违约本身", "万元",
		wan(cg.Direct.Mean), wan(cg.Contagion.Mean), wan(cg.Contagion.ES["0.99"]),
		"各担保链的风险贡献", doc.Contributions.Chains.Chains[0].Chain, wan(doc.Contributions.Chains.NotInChain),
	} {
		if !strings.Contains(section, want) {
			t.Errorf("chain block lacks %q", want)
		}
	}
	cascades := section[strings.Index(section, `id="cascades"`):]
	cascades = cascades[:strings.Index(cascades, "</table>")]
	if n := strings.Count(cascades, "<tr>") - 1; n != len(cg.Cascades) {
		t.Errorf("cascade table has %d rows, want %d", n, len(cg.Cascades))
	}
	for _, cs := range cg.Cascades {
		if !strings.Contains(cascades, "<th>"+cs.Root+"</th>") || !strings.Contains(cascades, "<td>"+wan(cs.Loss)+"</td>") {
			t.Errorf("cascade of %s (loss %s 万) missing", cs.Root, wan(cs.Loss))
		}
	}
	saveArtifact(t, "run-chains.html", []byte(page))
}
