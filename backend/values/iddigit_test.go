package values

import (
	"strings"
	"testing"
)

// idDigit must agree with idAlphabet for every byte.
func TestIDDigitMatchesAlphabet(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := byte(0xFF)
		if i := strings.IndexByte(idAlphabet, byte(c)); i >= 0 {
			want = byte(i)
		}
		if got := idDigit(byte(c)); got != want {
			t.Errorf("idDigit(%q) = %d, want %d", byte(c), got, want)
		}
	}
}
