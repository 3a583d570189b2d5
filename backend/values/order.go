package values

import (
	"bytes"
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// Type ranks of the total order (§6.2): undefined < null < int64 < float64 <
// boolean < string < bytes < array < object.
const (
	rankUndefined = iota
	rankNull
	rankInt
	rankFloat
	rankBool
	rankString
	rankBytes
	rankArray
	rankObject
	rankCommitTs
)

func rank(v Value) int {
	switch v.(type) {
	case undefinedValue:
		return rankUndefined
	case nil:
		return rankNull
	case int64, int:
		return rankInt
	case float64:
		return rankFloat
	case bool:
		return rankBool
	case string:
		return rankString
	case []byte:
		return rankBytes
	case []Value:
		return rankArray
	case map[string]Value:
		return rankObject
	}
	return rankCommitTs
}

func asInt(v Value) int64 {
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v.(int64)
}

// floatKey maps a float to a uint64 whose unsigned order is the IEEE-754
// total order (-NaN < -Inf < ... < -0 < +0 < ... < +Inf < NaN).
func floatKey(f float64) uint64 {
	b := math.Float64bits(f)
	if b&(1<<63) != 0 {
		return ^b
	}
	return b | 1<<63
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Compare orders two values by the Convex total order. Use Undefined for a
// missing value.
func Compare(a, b Value) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		if ra < rb {
			return -1
		}
		return 1
	}
	switch ra {
	case rankInt:
		x, y := asInt(a), asInt(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case rankFloat:
		return cmpU64(floatKey(a.(float64)), floatKey(b.(float64)))
	case rankBool:
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case rankString:
		// Go compares strings bytewise, which is UTF-8 byte order.
		x, y := a.(string), b.(string)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case rankBytes:
		return bytes.Compare(a.([]byte), b.([]byte))
	case rankArray:
		x, y := a.([]Value), b.([]Value)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := Compare(x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmpInt(len(x), len(y))
	case rankObject:
		x, y := a.(map[string]Value), b.(map[string]Value)
		kx, ky := presentKeys(x), presentKeys(y)
		for i := 0; i < len(kx) && i < len(ky); i++ {
			if kx[i] != ky[i] {
				if kx[i] < ky[i] {
					return -1
				}
				return 1
			}
			if c := Compare(x[kx[i]], y[ky[i]]); c != 0 {
				return c
			}
		}
		return cmpInt(len(kx), len(ky))
	}
	return 0
}

func presentKeys(m map[string]Value) []string {
	keys := sortedKeys(m)
	out := keys[:0]
	for _, k := range keys {
		if !IsUndefined(m[k]) {
			out = append(out, k)
		}
	}
	return out
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Equal reports whether Compare(a, b) == 0.
func Equal(a, b Value) bool { return Compare(a, b) == 0 }

// Key tags. Their order is the type order; within a tag the payload is
// written so that bytewise order is value order.
const (
	tagEnd       = 0x00
	tagUndefined = 0x01
	tagNull      = 0x03
	tagInt       = 0x05
	tagFloat     = 0x0D
	tagFalse     = 0x0E
	tagTrue      = 0x0F
	tagString    = 0x10
	tagBytes     = 0x11
	tagArray     = 0x12
	tagObject    = 0x15
	tagField     = 0x01 // precedes each field inside an object
	tagCommitTs  = 0x20
)

// IndexKey encodes a tuple of values so that bytes.Compare of two keys equals
// the element-wise Compare of the tuples (a shorter tuple that is a prefix
// sorts first).
func IndexKey(vs ...Value) []byte {
	var buf []byte
	for _, v := range vs {
		buf = appendKey(buf, v)
	}
	return buf
}

// appendEscaped writes b terminated by 0x00 0x01, with each 0x00 inside b
// written as 0x00 0xFF. The terminator sorts below any continuation, and no
// encoded string is a prefix of another, so the keys of all values equal to
// x are exactly the keys starting with IndexKey(x).
func appendEscaped(buf, b []byte) []byte {
	for _, c := range b {
		buf = append(buf, c)
		if c == 0 {
			buf = append(buf, 0xFF)
		}
	}
	return append(buf, 0x00, 0x01)
}

func appendKey(buf []byte, v Value) []byte {
	switch x := v.(type) {
	case undefinedValue:
		return append(buf, tagUndefined)
	case nil:
		return append(buf, tagNull)
	case int64, int:
		buf = append(buf, tagInt)
		return binary.BigEndian.AppendUint64(buf, uint64(asInt(x))^(1<<63))
	case float64:
		buf = append(buf, tagFloat)
		return binary.BigEndian.AppendUint64(buf, floatKey(x))
	case bool:
		if x {
			return append(buf, tagTrue)
		}
		return append(buf, tagFalse)
	case string:
		return appendEscaped(append(buf, tagString), []byte(x))
	case []byte:
		return appendEscaped(append(buf, tagBytes), x)
	case []Value:
		buf = append(buf, tagArray)
		for _, e := range x {
			buf = appendKey(buf, e)
		}
		return append(buf, tagEnd)
	case map[string]Value:
		buf = append(buf, tagObject)
		for _, k := range presentKeys(x) {
			buf = append(buf, tagField)
			buf = appendEscaped(buf, []byte(k))
			buf = appendKey(buf, x[k])
		}
		return append(buf, tagEnd)
	}
	return append(buf, tagCommitTs)
}

// PrefixSuccessor returns the smallest key greater than every key that starts
// with prefix, or nil if there is none (prefix is all 0xFF).
func PrefixSuccessor(prefix []byte) []byte {
	out := bytes.Clone(prefix)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] != 0xFF {
			out[i]++
			return out[:i+1]
		}
	}
	return nil
}

// Size returns the size of v as Convex counts it for limits.
func Size(v Value) int {
	switch x := v.(type) {
	case undefinedValue:
		return 0
	case nil, bool:
		return 1
	case int64, int, float64, commitTsValue:
		return 9
	case string:
		return 2 + len(x)
	case []byte:
		return 2 + len(x)
	case []Value:
		n := 2
		for _, e := range x {
			n += Size(e)
		}
		return n
	case map[string]Value:
		n := 2
		for k, e := range x {
			if IsUndefined(e) {
				continue
			}
			n += len(k) + 1 + Size(e)
		}
		return n
	}
	return 0
}

// Limits of the real backend.
const (
	MaxDocumentSize = 1 << 20
	MaxNesting      = 16
	MaxObjectFields = 1024
	MaxArrayLen     = 8192
)

// CheckLimits reports the first violated document limit of v (nesting depth,
// field and element counts, valid UTF-8 strings).
func CheckLimits(v Value) error {
	return checkLimits(v, 0, "")
}

func checkLimits(v Value, depth int, path string) error {
	if depth > MaxNesting {
		return errorf("value is too nested%s (maximum depth %d)", at(path), MaxNesting)
	}
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return errorf("string%s is not valid UTF-8", at(path))
		}
	case []Value:
		if len(x) > MaxArrayLen {
			return errorf("array%s has %d elements, more than the maximum of %d", at(path), len(x), MaxArrayLen)
		}
		for i, e := range x {
			if IsUndefined(e) {
				return errorf("undefined is not a valid Convex value%s", at(path+"["+itoa(i)+"]"))
			}
			if err := checkLimits(e, depth+1, path+"["+itoa(i)+"]"); err != nil {
				return err
			}
		}
	case map[string]Value:
		if len(x) > MaxObjectFields {
			return errorf("object%s has %d fields, more than the maximum of %d", at(path), len(x), MaxObjectFields)
		}
		for k, e := range x {
			if err := checkLimits(e, depth+1, path+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}
