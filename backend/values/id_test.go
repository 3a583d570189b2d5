package values

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeKnownID(t *testing.T) {
	// A real id from a deployment (spec §6.3).
	const id = "j576v17p9htrpz4kk6618ac9n1h52sy6"
	num, internal, err := DecodeID(id)
	if err != nil {
		t.Fatal(err)
	}
	if num != 10001 { // the first user table
		t.Errorf("table number %d, want 10001", num)
	}
	if EncodeID(num, internal) != id {
		t.Error("re-encoding differs")
	}
}

func TestIDRoundTripAndLengths(t *testing.T) {
	for _, c := range []struct {
		num uint32
		n   int
	}{{1, 31}, {127, 31}, {128, 32}, {10001, 32}, {1 << 14, 34}, {1 << 21, 36}, {1 << 28, 37}, {0xFFFFFFFF, 37}} {
		id := NewID(c.num)
		if len(id) != c.n {
			t.Errorf("table %d: id %s has length %d, want %d", c.num, id, len(id), c.n)
		}
		got, _, err := DecodeID(id)
		if err != nil || got != c.num {
			t.Errorf("table %d: decode %s = %d, %v", c.num, id, got, err)
		}
	}
	if NewID(10001) == NewID(10001) {
		t.Error("ids are not random")
	}
}

func TestIDRejectsChanges(t *testing.T) {
	id := NewID(10001)
	// Changing any single character must be detected (checksum, alphabet or canonical form).
	for i := 0; i < len(id); i++ {
		for _, c := range idAlphabet {
			if byte(c) == id[i] {
				continue
			}
			bad := id[:i] + string(c) + id[i+1:]
			if _, _, err := DecodeID(bad); err == nil {
				// A change in the last character's unused low bits cannot be
				// caught by the checksum, but the canonical check must.
				t.Errorf("changed id %s accepted (position %d)", bad, i)
			}
		}
	}
	for _, bad := range []string{
		"", "abc", strings.Repeat("0", 31), id + "0", id[:30], strings.ToUpper(id),
		"j576v17p9htrpz4kk6618ac9n1h52sy" + "i", // i is not in the alphabet
		strings.Repeat("z", 38),
	} {
		_, _, err := DecodeID(bad)
		if err == nil {
			t.Errorf("DecodeID(%q) succeeded", bad)
		} else if !errors.Is(err, ErrInvalidID) {
			t.Errorf("error %v does not wrap ErrInvalidID", err)
		}
	}
	// Table number 0 with a valid checksum is rejected.
	if _, _, err := DecodeID(EncodeID(0, [16]byte{1})); err == nil {
		t.Error("table number 0 accepted")
	}
}
