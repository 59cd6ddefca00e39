package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/wenzhou/danbao/models"
)

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	if err != nil {
		return nil // the client went away; nothing to tell it
	}
	return nil
}

// mediaType returns the media type of r's Content-Type, lower-cased, or "".
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid"
	}
	return strings.ToLower(mt)
}

// readJSONBody reads a JSON request body (Content-Type application/json or
// +json), within the route's size limit.
func readJSONBody(r *http.Request) ([]byte, error) {
	mt := mediaType(r)
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return nil, &Error{Message: fmt.Sprintf("The body must be JSON (Content-Type: application/json), not %q.", r.Header.Get("Content-Type")),
			err: errUnsupportedMedia, Fixes: []string{"Send Content-Type: application/json."}}
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, badRequest("The request body could not be read.")
	}
	return b, nil
}

// decodeStrict decodes one JSON object from b into v (a pointer to a
// struct), refusing unknown fields and trailing data, with a client-safe
// message. An empty body or a JSON null is a 422 naming v's fields: it
// would otherwise decode as a request with every field at its default.
func decodeStrict(b []byte, v any) error {
	if t := bytes.TrimSpace(b); len(t) == 0 || string(t) == "null" {
		what := "empty"
		if len(t) > 0 {
			what = "null"
		}
		fields := jsonFields(reflect.TypeOf(v))
		return &Error{Message: fmt.Sprintf("The body is %s; a JSON object is required, with the fields %s (each optional: {} takes every default).", what, strings.Join(fields, ", ")),
			err: models.ErrMissing, Fixes: []string{"Send a JSON object, e.g. {} for the defaults; see the request schema in /openapi.yaml."},
			Problems: []Problem{{Column: "(body)", Value: what, Reason: "a JSON object is required"}}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("The body has data after the JSON value.")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return badRequest("The body has data after the JSON value.")
	}
	return nil
}

// jsonFields lists the JSON names of the fields of struct type t (or of
// what t points to), embedded structs' fields included, in order.
func jsonFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			out = append(out, jsonFields(f.Type)...)
		case !f.IsExported():
		case name != "":
			out = append(out, name)
		default:
			out = append(out, f.Name)
		}
	}
	return out
}

// jsonError describes a decoding error without internal detail.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &Error{Message: fmt.Sprintf("The body is not valid JSON (at byte %d).", se.Offset), err: errBadRequest}
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(the body)"
		}
		return &Error{Message: fmt.Sprintf("Field %s must be %s, not a JSON %s.", field, jsonTypeName(te.Type.Kind().String()), te.Value), err: errBadRequest}
	case errors.Is(err, io.EOF):
		return &Error{Message: "The body is empty; a JSON object is expected.", err: errBadRequest}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Message: "The body ends in the middle of the JSON value.", err: errBadRequest}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &Error{Message: fmt.Sprintf("Unknown field %s.", f), err: errBadRequest,
			Fixes: []string{"See the request schema in /openapi.yaml."}}
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return &Error{Message: "The body does not match the expected JSON shape.", err: errBadRequest}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "another type"
}
