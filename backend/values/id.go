package values

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// Document ids (§6.3): base32(varint(table number) ++ 16 internal bytes ++
// little-endian Fletcher-16 footer).

const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// idDigits maps a byte to one more than its value in idAlphabet, 0 for a
// byte outside it. A literal, so the compiler lays it out in the binary
// instead of a table being filled at start-up.
var idDigits = [256]byte{
	'0': 1, '1': 2, '2': 3, '3': 4, '4': 5, '5': 6, '6': 7, '7': 8,
	'8': 9, '9': 10, 'a': 11, 'b': 12, 'c': 13, 'd': 14, 'e': 15, 'f': 16,
	'g': 17, 'h': 18, 'j': 19, 'k': 20, 'm': 21, 'n': 22, 'p': 23, 'q': 24,
	'r': 25, 's': 26, 't': 27, 'v': 28, 'w': 29, 'x': 30, 'y': 31, 'z': 32,
}

// idDigit is the value of c in idAlphabet, or 0xFF if c is not in it.
func idDigit(c byte) byte { return idDigits[c] - 1 }

// Id lengths: 31 (table number < 2^7) up to 37 characters (< 2^32).
const (
	MinIDLen = 31
	MaxIDLen = 37
)

// ErrInvalidID is wrapped by every DecodeID error.
var ErrInvalidID = errors.New("invalid id")

// NewID returns a fresh random id for a document of the given table.
func NewID(tableNumber uint32) string {
	var internal [16]byte
	if _, err := rand.Read(internal[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return EncodeID(tableNumber, internal)
}

func fletcher16(b []byte) uint16 {
	var c0, c1 uint8
	for _, x := range b {
		c0 += x
		c1 += c0
	}
	return uint16(c1)<<8 | uint16(c0)
}

// EncodeID builds the canonical id string.
func EncodeID(tableNumber uint32, internal [16]byte) string {
	buf := make([]byte, 0, 23)
	n := tableNumber
	for {
		b := byte(n & 0x7F)
		n >>= 7
		if n != 0 {
			buf = append(buf, b|0x80)
			continue
		}
		buf = append(buf, b)
		break
	}
	buf = append(buf, internal[:]...)
	f := fletcher16(buf) // version 0: XOR with 0 leaves it unchanged
	buf = append(buf, byte(f), byte(f>>8))
	return base32Encode(buf)
}

func base32Encode(b []byte) string {
	out := make([]byte, 0, (len(b)*8+4)/5)
	var acc uint32
	bits := 0
	for _, x := range b {
		acc = acc<<8 | uint32(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, idAlphabet[(acc>>bits)&31])
		}
	}
	if bits > 0 {
		out = append(out, idAlphabet[(acc<<(5-bits))&31])
	}
	return string(out)
}

func base32Decode(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s)*5/8)
	var acc uint32
	bits := 0
	for i := 0; i < len(s); i++ {
		d := idDigit(s[i])
		if d == 0xFF {
			return nil, false
		}
		acc = acc<<5 | uint32(d)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return out, true
}

// DecodeID parses a canonical id, checking its length, alphabet, table number,
// footer and canonical form.
func DecodeID(s string) (tableNumber uint32, internal [16]byte, err error) {
	fail := func(why string) (uint32, [16]byte, error) {
		return 0, [16]byte{}, fmt.Errorf("%w %q: %s", ErrInvalidID, truncate(s, 64), why)
	}
	if len(s) < MinIDLen || len(s) > MaxIDLen {
		return fail(fmt.Sprintf("length %d is not between %d and %d", len(s), MinIDLen, MaxIDLen))
	}
	b, ok := base32Decode(s)
	if !ok {
		return fail("invalid character")
	}
	var num uint64
	i := 0
	for shift := 0; ; shift += 7 {
		if i >= len(b) || shift > 28 {
			return fail("bad table number")
		}
		c := b[i]
		i++
		num |= uint64(c&0x7F) << shift
		if c&0x80 == 0 {
			break
		}
	}
	if num == 0 || num > 0xFFFFFFFF {
		return fail("bad table number")
	}
	if len(b)-i != 18 {
		return fail("wrong length")
	}
	want := fletcher16(b[:len(b)-2])
	got := uint16(b[len(b)-2]) | uint16(b[len(b)-1])<<8
	if want != got {
		return fail("checksum mismatch")
	}
	copy(internal[:], b[i:i+16])
	if EncodeID(uint32(num), internal) != s {
		return fail("not in canonical form")
	}
	return uint32(num), internal, nil
}

// IDTable returns the table number of a valid id, or false.
func IDTable(s string) (uint32, bool) {
	n, _, err := DecodeID(s)
	return n, err == nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
