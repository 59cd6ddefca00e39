package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestOpenAPIRoutes holds the router and openapi.yaml to each other: every
// route the router serves is documented with its method, and every
// documented operation is served.
func TestOpenAPIRoutes(t *testing.T) {
	doc, _ := openapiSpec(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	e := newEnv(t, nil)
	served := map[string]bool{}
	err := chi.Walk(e.srv.Routes(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(route, "/*")
		if route != "/" {
			route = strings.TrimSuffix(route, "/")
		}
		served[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	var missing, extra []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("served but not in openapi.yaml: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("in openapi.yaml but not served: %v", extra)
	}

	// The document itself is served, and every open endpoint answers as documented.
	r := e.do(req{method: "GET", path: "/openapi.yaml"})
	if r.status != 200 || string(r.body) != string(openapiYAML) {
		t.Errorf("GET /openapi.yaml: %d", r.status)
	}
	for _, p := range []string{"/", "/healthz", "/readyz", "/metrics"} {
		if r := e.do(req{method: "GET", path: p}); r.status != 200 {
			t.Errorf("GET %s: %d %s", p, r.status, r.body)
		}
	}
}
