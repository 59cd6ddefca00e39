package api

import (
	"fmt"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIRequiredDefined holds every "required" list of openapi.yaml to
// its "properties": a required name that is not defined would let any
// value through the response validation of the other tests.
func TestOpenAPIRequiredDefined(t *testing.T) {
	doc, _ := openapiSpec(t)
	seen := map[*openapi3.Schema]bool{}
	var walk func(path string, s *openapi3.Schema)
	walk = func(path string, s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for _, name := range s.Required {
			if _, ok := s.Properties[name]; !ok {
				t.Errorf("%s: required %q is not among its properties", path, name)
			}
		}
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			walk(path+"."+name, s.Properties[name].Value)
		}
		if s.Items != nil {
			walk(path+"[]", s.Items.Value)
		}
		if s.AdditionalProperties.Schema != nil {
			walk(path+"{}", s.AdditionalProperties.Schema.Value)
		}
		for k, list := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
			for i, r := range list {
				walk(fmt.Sprintf("%s/%d.%d", path, k, i), r.Value)
			}
		}
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for name := range doc.Components.Schemas {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		walk(name, doc.Components.Schemas[name].Value)
	}
	if len(seen) < 20 {
		t.Fatalf("walked %d schemas; the walk is broken", len(seen))
	}
}
