package scenarios

import _ "embed"

//go:embed SCHEMA.md
var schemaDoc string

// Schema returns the scenario file reference (SCHEMA.md): every path with
// its type, default and meaning, generated from the models types and held
// to them by a test.
func Schema() string { return schemaDoc }
