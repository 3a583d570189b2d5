// Package adminkey mints and verifies Convex admin keys for a local
// deployment: "<instance-name>|<hex>" where the hex part is
// version(0x01) ‖ nonce(12) ‖ AES-128-GCM-SIV(ciphertext ‖ tag) of a small
// protobuf message, keyed by a KBKDF-HMAC-SHA256 derivation of the instance
// secret. The format must match the reference backend byte for byte so that
// keys work with either implementation.
package adminkey

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/nacl/secretbox"
)

// Version is the first byte of every key frame and also the AEAD associated data.
const Version byte = 0x01

// LegacySecret is the fixed instance secret older local deployments used.
const LegacySecret = "4361726e697461732c206c69746572616c6c79206d65616e696e6720226c6974"

const (
	nonceSize = 12
	tagSize   = 16
	purpose   = "admin key"
)

// Errors returned by Verify. ErrWrongInstance is distinct so callers can say so.
var (
	ErrMalformed     = errors.New("admin key is malformed")
	ErrDecrypt       = errors.New("admin key was not issued with this instance secret")
	ErrWrongInstance = errors.New("admin key is for a different instance")
)

// Secret is a parsed instance secret (32 bytes).
type Secret [32]byte

// ParseSecret decodes a 64-character hex instance secret.
func ParseSecret(s string) (Secret, error) {
	var out Secret
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return out, fmt.Errorf("instance secret must be hex: %w", err)
	}
	if len(b) != len(out) {
		return out, fmt.Errorf("instance secret must be 32 bytes (64 hex characters), got %d bytes", len(b))
	}
	copy(out[:], b)
	return out, nil
}

// NewSecret returns a fresh random secret as 64 lowercase hex characters.
func NewSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating instance secret: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// DeriveKey computes the 16-byte AEAD key for a purpose: one block of NIST
// SP 800-108 counter-mode KDF with HMAC-SHA256, i.e.
// HMAC(secret, be32(1) ‖ purpose)[:16].
func (s Secret) DeriveKey(purpose string) []byte {
	mac := hmac.New(sha256.New, s[:])
	var ctr [4]byte
	binary.BigEndian.PutUint32(ctr[:], 1)
	mac.Write(ctr[:])
	mac.Write([]byte(purpose))
	return mac.Sum(nil)[:16]
}

// Identity is what a verified key grants.
type Identity struct {
	InstanceName string    // from the clear prefix (or the proto)
	Issued       time.Time // informational only; keys never expire
	MemberID     uint64    // admin identity when System is false
	System       bool      // system identity
	ReadOnly     bool
}

// Mint issues an admin key for MemberID 0, as `keygen admin-key` does.
func Mint(instanceName string, secret Secret) (string, error) {
	return mint(instanceName, secret, time.Now())
}

// mint is Mint with an injectable clock for tests.
func mint(instanceName string, secret Secret, now time.Time) (string, error) {
	if instanceName == "" || strings.ContainsAny(instanceName, "|:") {
		return "", fmt.Errorf("invalid instance name %q", instanceName)
	}
	issued := uint64(now.Unix())
	if issued == 0 {
		issued = 1
	}
	aead, err := newGCMSIV(secret.DeriveKey(purpose))
	if err != nil {
		return "", fmt.Errorf("admin key cipher: %w", err)
	}
	// Seal's output is nonce ‖ ciphertext ‖ tag: exactly our frame body.
	body, err := aead.Seal(encodeProto(issued), []byte{Version})
	if err != nil {
		return "", fmt.Errorf("encrypting admin key: %w", err)
	}
	frame := append([]byte{Version}, body...)
	return instanceName + "|" + hex.EncodeToString(frame), nil
}

// StripTypePrefix removes a display prefix such as "local:" or "prod:"
// from a deployment/instance name part.
func StripTypePrefix(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// Verify checks key against this instance. It never reveals which byte was
// wrong; comparisons on secret-derived data are constant time (the AEAD tag
// check is, and the name comparison uses subtle.ConstantTimeCompare).
func Verify(key, instanceName string, secret Secret) (Identity, error) {
	var id Identity
	key = strings.TrimSpace(key)
	namePart, hexPart, hasName := strings.Cut(key, "|")
	if !hasName {
		hexPart, namePart = namePart, ""
	}
	namePart = StripTypePrefix(namePart)
	frame, err := hex.DecodeString(hexPart)
	if err != nil || len(frame) < 1+nonceSize+tagSize || frame[0] != Version {
		return id, ErrMalformed
	}
	aead, err := newGCMSIV(secret.DeriveKey(purpose))
	if err != nil {
		return id, fmt.Errorf("admin key cipher: %w", err)
	}
	plain, err := aead.Open(frame[1:], []byte{Version})
	if err != nil {
		var ok bool
		if plain, ok = openLegacy(frame, secret); !ok {
			return id, ErrDecrypt
		}
	}
	msg, err := decodeProto(plain)
	if err != nil {
		return id, ErrMalformed
	}
	name := namePart
	if name == "" {
		name = msg.instanceName
	}
	if subtle.ConstantTimeCompare([]byte(name), []byte(instanceName)) != 1 {
		return id, ErrWrongInstance
	}
	if msg.issued == 0 || !msg.hasIdentity {
		return id, ErrMalformed
	}
	id.InstanceName = name
	id.Issued = time.Unix(int64(msg.issued), 0)
	id.MemberID = msg.memberID
	id.System = msg.system
	id.ReadOnly = msg.readOnly
	return id, nil
}

// openLegacy decrypts the older key frame: version ‖ nonce(24) ‖ NaCl
// secretbox (XSalsa20-Poly1305) keyed by the raw secret. Only verified,
// never issued.
func openLegacy(frame []byte, secret Secret) ([]byte, bool) {
	if len(frame) < 1+24+secretbox.Overhead {
		return nil, false
	}
	var nonce [24]byte
	copy(nonce[:], frame[1:25])
	key := [32]byte(secret)
	return secretbox.Open(nil, frame[25:], &nonce, &key)
}

// Header is the parsed value of an `Authorization: Convex <key>` header.
type Header struct {
	AdminKey string
	// ActingAs is the decoded UserIdentityAttributes JSON object when the key
	// carried ":<base64 json>" (impersonation), else nil.
	ActingAs map[string]any
}

// ErrNotConvexAuth means the header is absent or uses another scheme (e.g. Bearer).
var ErrNotConvexAuth = errors.New("not a Convex authorization header")

// ParseHeader parses the value of an Authorization header of the form
// "Convex <key>[:<base64 identity json>]". The scheme is case-insensitive.
func ParseHeader(value string) (Header, error) {
	var h Header
	if len(value) < 7 || !strings.EqualFold(value[:7], "Convex ") {
		return h, ErrNotConvexAuth
	}
	key := strings.TrimSpace(value[7:])
	if key == "" {
		return h, fmt.Errorf("%w: empty key", ErrMalformed)
	}
	return ParseKeyWithIdentity(key)
}

// ParseKeyWithIdentity splits "<key>[:<base64 identity json>]" after removing
// a leading display prefix ("local:", "prod:", ...) from the key.
func ParseKeyWithIdentity(key string) (Header, error) {
	var h Header
	key = StripDisplayPrefix(key)
	if adminKey, ident, ok := strings.Cut(key, ":"); ok {
		raw, err := base64.StdEncoding.DecodeString(ident)
		if err != nil {
			raw, err = base64.RawStdEncoding.DecodeString(ident)
		}
		if err != nil {
			return h, fmt.Errorf("%w: acting-as identity is not base64", ErrMalformed)
		}
		var attrs map[string]any
		if err := json.Unmarshal(raw, &attrs); err != nil || attrs == nil {
			return h, fmt.Errorf("%w: acting-as identity is not a JSON object", ErrMalformed)
		}
		if _, ok := attrs["tokenIdentifier"]; !ok {
			attrs["tokenIdentifier"] = "convex|fake_user"
		}
		h.AdminKey, h.ActingAs = adminKey, attrs
		return h, nil
	}
	h.AdminKey = key
	return h, nil
}

// StripDisplayPrefix removes a "type:" prefix that precedes the instance name
// ("local:name|hex" → "name|hex"). A colon after the '|' is left alone.
func StripDisplayPrefix(key string) string {
	bar := strings.IndexByte(key, '|')
	colon := strings.IndexByte(key, ':')
	if colon >= 0 && (bar < 0 || colon < bar) {
		return key[colon+1:]
	}
	return key
}
