package calibrate

import (
	"os"
	"reflect"
	"testing"
)

// TestGroupPDsSameEveryRun: the group PDs of the Wenzhou history are the
// same to the last bit on every call. They summed over a map, whose order
// Go changes from run to run, and the estimates' last digits moved with it.
func TestGroupPDsSameEveryRun(t *testing.T) {
	f, err := os.Open("../testdata/history/wenzhou.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, _, err := ReadHistory("wenzhou.csv", f)
	if err != nil {
		t.Fatal(err)
	}
	res := &Result{NYears: 2}
	for _, r := range h.Records {
		res.Loans += r.Loans
		res.Defaults += r.Defaults
	}
	first := groupPDs(h, []string{"county", "industry"}, res)
	if len(first.By) < 20 {
		t.Fatalf("%d groups: too few for map order to matter", len(first.By))
	}
	for i := range 30 {
		if got := groupPDs(h, []string{"county", "industry"}, res); !reflect.DeepEqual(got, first) {
			t.Fatalf("call %d gave other group PDs than the first", i+2)
		}
	}
}
