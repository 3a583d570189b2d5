package adminkey

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// protowireDecode is the earlier protowire-based decoder, kept here as the
// reference the standard-library decoder must agree with.
func protowireDecode(b []byte) (adminKeyMsg, error) {
	var m adminKeyMsg
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return m, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.instanceName = string(v)
			b = b[n:]
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.issued = v
			b = b[n:]
		case num == 3 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.memberID, m.system, m.hasIdentity = v, false, true
			b = b[n:]
		case num == 4 && typ == protowire.BytesType:
			_, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.system, m.hasIdentity = true, true
			b = b[n:]
		case num == 5 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.readOnly = v != 0
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return m, errors.New("bad protobuf field")
			}
			b = b[n:]
		}
	}
	return m, nil
}

func TestEncodeProtoMatchesProtowire(t *testing.T) {
	for _, issued := range []uint64{1, 127, 128, 1700000000, 4102444800, 1<<63 - 1, ^uint64(0)} {
		var want []byte
		want = protowire.AppendTag(want, 2, protowire.VarintType)
		want = protowire.AppendVarint(want, issued)
		want = protowire.AppendTag(want, 3, protowire.VarintType)
		want = protowire.AppendVarint(want, 0)
		if got := encodeProto(issued); !bytes.Equal(got, want) {
			t.Errorf("encodeProto(%d) = %x, want %x", issued, got, want)
		}
	}
	// A fixed encoding, independent of any library.
	if got := hex.EncodeToString(encodeProto(1700000000)); got != "1080e2cfaa061800" {
		t.Errorf("encodeProto(1700000000) = %s", got)
	}
}

func TestDecodeProto(t *testing.T) {
	good := []struct {
		name, in string
		want     adminKeyMsg
	}{
		{"member 0", "1080e2cfaa061800", adminKeyMsg{issued: 1700000000, hasIdentity: true}},
		{"system read-only with name", "0a086361726e69746173100122002801",
			adminKeyMsg{instanceName: "carnitas", issued: 1, system: true, hasIdentity: true, readOnly: true}},
		{"later oneof member wins", "220018071001", adminKeyMsg{issued: 1, memberID: 7, hasIdentity: true}},
		{"non-minimal varint", "1081001801", adminKeyMsg{issued: 1, memberID: 1, hasIdentity: true}},
		{"empty", "", adminKeyMsg{}},
		// Unknown fields of every wire type are skipped.
		{"unknown varint", "30ffffffffffffffffff011001", adminKeyMsg{issued: 1}},
		{"unknown fixed64", "310102030405060708" + "1002", adminKeyMsg{issued: 2}},
		{"unknown fixed32", "3501020304" + "1003", adminKeyMsg{issued: 3}},
		{"unknown bytes", "3a03616263" + "1004", adminKeyMsg{issued: 4}},
		{"unknown group", "3b0801" + "43" + "44" + "3c" + "1005", adminKeyMsg{issued: 5}},
		{"known field, other wire type", "1203616263" + "1006", adminKeyMsg{issued: 6}},
		{"large field number", "f8ffffff0f01" + "1007", adminKeyMsg{issued: 7}},
	}
	for _, c := range good {
		in := unhex(t, c.in)
		got, err := decodeProto(in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
		if ref, err := protowireDecode(in); err != nil || ref != got {
			t.Errorf("%s: reference decoder gives %+v, %v", c.name, ref, err)
		}
	}

	bad := []struct{ name, in string }{
		{"truncated tag", "80"},
		{"truncated varint value", "1080"},
		{"varint value missing", "10"},
		{"varint over 64 bits", "10ffffffffffffffffff02"},
		{"varint over 10 bytes", "10ffffffffffffffffffff01"},
		{"length past end", "0a0561"},
		{"length huge", "0affffffffffffffffff01"},
		{"system length past end", "2201"},
		{"unknown bytes past end", "3a05"},
		{"fixed32 truncated", "35010203"},
		{"fixed64 truncated", "3101020304050607"},
		{"wire type 6", "36"},
		{"wire type 7", "3700"},
		{"end group at top level", "3c"},
		{"mismatched end group", "3b44"},
		{"unterminated group", "3b0801"},
		{"field number 0", "0001"},
		{"field number 0 bytes", "0200"},
		{"field number above int32", "f8ffffffff0101"},
		{"junk after valid message", "1001ff"},
	}
	for _, c := range bad {
		in := unhex(t, c.in)
		if m, err := decodeProto(in); err == nil {
			t.Errorf("%s: %s accepted as %+v", c.name, c.in, m)
		}
		if _, err := protowireDecode(in); err == nil {
			t.Errorf("%s: reference decoder accepts %s; the case is wrong", c.name, c.in)
		}
	}
}

// FuzzDecodeProto checks that the decoder never panics and agrees with the
// protowire-based reference on every input: same message, same accept/reject.
func FuzzDecodeProto(f *testing.F) {
	for _, s := range []string{
		"1080e2cfaa061800", "0a086361726e69746173100122002801", "3b080143443c1005",
		"310102030405060708", "3501020304", "0a0561", "10ffffffffffffffffff02", "3b44", "36", "",
	} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := decodeProto(in)
		want, werr := protowireDecode(in)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%x: error %v, reference %v", in, err, werr)
		}
		if err == nil && got != want {
			t.Fatalf("%x: got %+v, reference %+v", in, got, want)
		}
	})
}
