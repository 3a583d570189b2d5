package adminkey

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/nacl/secretbox"
)

// Vectors produced independently with Python's cryptography AESGCMSIV
// (RFC 8452) from the derivation in the spec, nonce 00..0b.
const (
	kdfWant   = "a7526e1715ea4effa55636bee910d731"
	vectorKey = "carnitas|01000102030405060708090a0b1e5c06d46516f3f5fa3e99f5af81a957a2adc6f04983839e"
	// name inside the proto, system identity, read-only, no clear prefix.
	vectorSystem = "01000102030405060708090a0b889e8e3e59d1ec55bf8a9265aa44939224df80abdb6fd32261ec162346fd6047cc47b61c"
)

func legacy(t *testing.T) Secret {
	t.Helper()
	s, err := ParseSecret(LegacySecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDeriveKeyKnownAnswer(t *testing.T) {
	if got := hex.EncodeToString(legacy(t).DeriveKey("admin key")); got != kdfWant {
		t.Fatalf("derived key %s, want %s", got, kdfWant)
	}
}

func TestVerifyKnownAnswer(t *testing.T) {
	id, err := Verify(vectorKey, "carnitas", legacy(t))
	if err != nil {
		t.Fatal(err)
	}
	if id.Issued.Unix() != 1700000000 || id.System || id.MemberID != 0 || id.ReadOnly {
		t.Fatalf("unexpected identity %+v", id)
	}
	id, err = Verify(vectorSystem, "carnitas", legacy(t))
	if err != nil {
		t.Fatal(err)
	}
	if !id.System || !id.ReadOnly || id.InstanceName != "carnitas" || id.Issued.Unix() != 1700000001 {
		t.Fatalf("unexpected identity %+v", id)
	}
	if _, err := Verify(vectorSystem, "other", legacy(t)); !errors.Is(err, ErrWrongInstance) {
		t.Fatalf("want ErrWrongInstance, got %v", err)
	}
}

func TestMintRoundTrip(t *testing.T) {
	hexSecret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(hexSecret) != 64 || strings.ToLower(hexSecret) != hexSecret {
		t.Fatalf("secret %q is not 64 lowercase hex chars", hexSecret)
	}
	secret, _ := ParseSecret(hexSecret)
	key, err := Mint("local-team-proj", secret)
	if err != nil {
		t.Fatal(err)
	}
	name, h, _ := strings.Cut(key, "|")
	if name != "local-team-proj" {
		t.Fatalf("prefix %q", name)
	}
	// 1 version + 12 nonce + 8 plaintext (issued fits 5 bytes varint) + 16 tag
	if raw, _ := hex.DecodeString(h); len(raw) != 1+12+8+16 || raw[0] != 1 || strings.ToLower(h) != h {
		t.Fatalf("frame length %d / %q", len(raw), h)
	}
	id, err := Verify(key, "local-team-proj", secret)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(id.Issued) > time.Minute || id.System {
		t.Fatalf("identity %+v", id)
	}
	// Display prefixes are ignored.
	if _, err := Verify("local:"+key, "local-team-proj", secret); err != nil {
		t.Fatalf("with display prefix: %v", err)
	}
	// Two keys differ (random nonce).
	key2, _ := Mint("local-team-proj", secret)
	if key2 == key {
		t.Fatal("two mints produced the same key")
	}
}

func TestVerifyRejects(t *testing.T) {
	secret, _ := ParseSecret(strings.Repeat("ab", 32))
	other, _ := ParseSecret(strings.Repeat("cd", 32))
	key, err := Mint("inst", secret)
	if err != nil {
		t.Fatal(err)
	}
	name, h, _ := strings.Cut(key, "|")
	raw, _ := hex.DecodeString(h)
	for i := 1; i < len(raw); i++ { // flip every byte after the version
		mod := append([]byte(nil), raw...)
		mod[i] ^= 0x40
		if _, err := Verify(name+"|"+hex.EncodeToString(mod), "inst", secret); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("tampered byte %d accepted: %v", i, err)
		}
	}
	cases := map[string]struct {
		key, inst string
		s         Secret
		want      error
	}{
		"wrong secret":   {key, "inst", other, ErrDecrypt},
		"wrong instance": {key, "other", secret, ErrWrongInstance},
		"renamed prefix": {"other|" + h, "inst", secret, ErrWrongInstance},
		"not hex":        {"inst|zz", "inst", secret, ErrMalformed},
		"empty":          {"", "inst", secret, ErrMalformed},
		"short":          {"inst|01abcd", "inst", secret, ErrMalformed},
		"bad version":    {"inst|02" + h[2:], "inst", secret, ErrMalformed},
		"truncated":      {key[:len(key)-2], "inst", secret, ErrDecrypt},
	}
	for name, c := range cases {
		if _, err := Verify(c.key, c.inst, c.s); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

func TestParseSecret(t *testing.T) {
	for _, bad := range []string{"", "abc", strings.Repeat("zz", 32), strings.Repeat("ab", 31), strings.Repeat("ab", 33)} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
}

func TestParseHeader(t *testing.T) {
	h, err := ParseHeader("Convex inst|0abc")
	if err != nil || h.AdminKey != "inst|0abc" || h.ActingAs != nil {
		t.Fatalf("%+v %v", h, err)
	}
	h, err = ParseHeader("convex local:inst|0abc")
	if err != nil || h.AdminKey != "inst|0abc" {
		t.Fatalf("case-insensitive scheme / prefix: %+v %v", h, err)
	}
	ident := base64.StdEncoding.EncodeToString([]byte(`{"subject":"u1","name":"Ann"}`))
	h, err = ParseHeader("Convex inst|0abc:" + ident)
	if err != nil || h.AdminKey != "inst|0abc" || h.ActingAs["subject"] != "u1" || h.ActingAs["tokenIdentifier"] != "convex|fake_user" {
		t.Fatalf("acting as: %+v %v", h, err)
	}
	for _, bad := range []string{"Convex inst|0abc:!!!", "Convex inst|0abc:" + base64.StdEncoding.EncodeToString([]byte("[1]")), "Convex "} {
		if _, err := ParseHeader(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseHeader(%q) = %v, want ErrMalformed", bad, err)
		}
	}
	for _, other := range []string{"", "Bearer x.y.z", "Convex"} {
		if _, err := ParseHeader(other); !errors.Is(err, ErrNotConvexAuth) {
			t.Errorf("ParseHeader(%q) = %v, want ErrNotConvexAuth", other, err)
		}
	}
}

func TestVerifyLegacyFormat(t *testing.T) {
	secret := legacy(t)
	var nonce [24]byte
	for i := range nonce {
		nonce[i] = byte(i)
	}
	key := [32]byte(secret)
	plain := encodeProto(1600000000)
	frame := append([]byte{Version}, nonce[:]...)
	frame = secretbox.Seal(frame, plain, &nonce, &key)
	k := "carnitas|" + hex.EncodeToString(frame)
	id, err := Verify(k, "carnitas", secret)
	if err != nil || id.Issued.Unix() != 1600000000 {
		t.Fatalf("legacy key: %+v %v", id, err)
	}
	frame[len(frame)-1] ^= 1
	if _, err := Verify("carnitas|"+hex.EncodeToString(frame), "carnitas", secret); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered legacy key: %v", err)
	}
	other, _ := ParseSecret(strings.Repeat("ab", 32))
	if _, err := Verify(k, "carnitas", other); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("legacy key with another secret: %v", err)
	}
}
