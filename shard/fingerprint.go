package shard

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/wenzhou/danbao/models"
)

// PortfolioFingerprint returns "sha256:" and the hex SHA-256 of pf's
// content: every field of every loan, guarantor and link, in order, and
// the snapshot date (strings with their length, numbers as their 8 bytes,
// floats bit for bit, so NaN "unset" counts too). Two portfolios with the
// same fingerprint simulate alike; the file format they came from does not
// count.
func PortfolioFingerprint(pf *models.Portfolio) string {
	h := sha256.New()
	hashValue(h, reflect.ValueOf(pf).Elem(), make([]byte, 8))
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// hashValue writes v to h canonically; buf is 8 bytes of scratch.
func hashValue(h hash.Hash, v reflect.Value, buf []byte) {
	word := func(u uint64) {
		binary.LittleEndian.PutUint64(buf, u)
		h.Write(buf)
	}
	switch v.Kind() {
	case reflect.String:
		word(uint64(v.Len()))
		h.Write([]byte(v.String()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		word(uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		word(v.Uint())
	case reflect.Float32, reflect.Float64:
		word(math.Float64bits(v.Float()))
	case reflect.Bool:
		if v.Bool() {
			word(1)
		} else {
			word(0)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			hashValue(h, v.Field(i), buf)
		}
	case reflect.Slice, reflect.Array:
		word(uint64(v.Len()))
		for i := range v.Len() {
			hashValue(h, v.Index(i), buf)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			return strings.Compare(fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()))
		})
		word(uint64(len(keys)))
		for _, k := range keys {
			hashValue(h, k, buf)
			hashValue(h, v.MapIndex(k), buf)
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			word(0)
			return
		}
		word(1)
		hashValue(h, v.Elem(), buf)
	default:
		panic("shard: cannot fingerprint a " + v.Kind().String())
	}
}
