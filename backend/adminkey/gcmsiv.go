package adminkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// AES-GCM-SIV (RFC 8452), written here rather than imported so the binary
// does not link a crypto library whose protobuf-based key management costs
// start-up time. The sealed layout is nonce(12) ‖ ciphertext ‖ tag(16), the
// same as tink's subtle.NewAESGCMSIV, so keys issued by either verify with
// the other.

const (
	sivBlockSize = 16
	// RFC 8452 §6: plaintext and associated data are limited to 2^36 bytes.
	sivMaxInput = 1 << 36
)

var errSIVOpen = errors.New("aes-gcm-siv: message authentication failed")

// gcmSIV holds the key-generating key; per-message keys are derived from it
// and the nonce on every call.
type gcmSIV struct {
	kgk    cipher.Block
	keyLen int
}

// newGCMSIV accepts a 16-byte (AES-128) or 32-byte (AES-256) key.
func newGCMSIV(key []byte) (*gcmSIV, error) {
	if len(key) != 16 && len(key) != 32 {
		return nil, fmt.Errorf("aes-gcm-siv: key must be 16 or 32 bytes, got %d", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes-gcm-siv: %w", err)
	}
	return &gcmSIV{kgk: b, keyLen: len(key)}, nil
}

// Seal encrypts plaintext under a fresh random nonce and returns
// nonce ‖ ciphertext ‖ tag.
func (g *gcmSIV) Seal(plaintext, ad []byte) ([]byte, error) {
	var nonce [nonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("aes-gcm-siv: nonce: %w", err)
	}
	return g.sealNonce(nonce[:], plaintext, ad)
}

// sealNonce is Seal with a caller-chosen nonce (known-answer tests).
func (g *gcmSIV) sealNonce(nonce, plaintext, ad []byte) ([]byte, error) {
	if len(nonce) != nonceSize {
		return nil, errors.New("aes-gcm-siv: nonce must be 12 bytes")
	}
	if uint64(len(plaintext)) > sivMaxInput || uint64(len(ad)) > sivMaxInput {
		return nil, errors.New("aes-gcm-siv: input too long")
	}
	authKey, enc, err := g.deriveKeys(nonce)
	if err != nil {
		return nil, err
	}
	out := make([]byte, nonceSize+len(plaintext)+tagSize)
	copy(out, nonce)
	tag := out[nonceSize+len(plaintext):]
	computeTag(tag, &authKey, enc, nonce, plaintext, ad)
	ctr(enc, tag, out[nonceSize:nonceSize+len(plaintext)], plaintext)
	return out, nil
}

// Open authenticates and decrypts nonce ‖ ciphertext ‖ tag.
func (g *gcmSIV) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < nonceSize+tagSize {
		return nil, errors.New("aes-gcm-siv: ciphertext too short")
	}
	if uint64(len(sealed)) > sivMaxInput+nonceSize+tagSize || uint64(len(ad)) > sivMaxInput {
		return nil, errors.New("aes-gcm-siv: input too long")
	}
	nonce := sealed[:nonceSize]
	ct := sealed[nonceSize : len(sealed)-tagSize]
	tag := sealed[len(sealed)-tagSize:]
	authKey, enc, err := g.deriveKeys(nonce)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(ct))
	ctr(enc, tag, plain, ct)
	var want [tagSize]byte
	computeTag(want[:], &authKey, enc, nonce, plain, ad)
	if subtle.ConstantTimeCompare(want[:], tag) != 1 {
		clear(plain) // never hand out unauthenticated plaintext
		return nil, errSIVOpen
	}
	return plain, nil
}

// deriveKeys implements RFC 8452 §4: the first 8 bytes of
// AES_KGK(le32(i) ‖ nonce) for i = 0, 1 form the authentication key and the
// following two (AES-128) or four (AES-256) halves the encryption key.
func (g *gcmSIV) deriveKeys(nonce []byte) (authKey [16]byte, enc cipher.Block, err error) {
	var in, out [sivBlockSize]byte
	var encKey [32]byte
	copy(in[4:], nonce)
	halves := 2 + g.keyLen/8
	for i := 0; i < halves; i++ {
		binary.LittleEndian.PutUint32(in[:4], uint32(i))
		g.kgk.Encrypt(out[:], in[:])
		if i < 2 {
			copy(authKey[8*i:], out[:8])
		} else {
			copy(encKey[8*(i-2):], out[:8])
		}
	}
	enc, err = aes.NewCipher(encKey[:g.keyLen])
	clear(encKey[:])
	if err != nil {
		return authKey, nil, fmt.Errorf("aes-gcm-siv: %w", err)
	}
	return authKey, enc, nil
}

// computeTag writes AES_enc(POLYVAL(authKey, AD ‖ PT ‖ lengths) ⊕ nonce,
// with the top bit cleared) into tag (RFC 8452 §4).
func computeTag(tag []byte, authKey *[16]byte, enc cipher.Block, nonce, plaintext, ad []byte) {
	p := newPolyval(authKey)
	p.updatePadded(ad)
	p.updatePadded(plaintext)
	var lengths [sivBlockSize]byte
	binary.LittleEndian.PutUint64(lengths[:8], uint64(len(ad))*8)
	binary.LittleEndian.PutUint64(lengths[8:], uint64(len(plaintext))*8)
	p.updateBlock(lengths[:])
	var s [sivBlockSize]byte
	p.sum(&s)
	for i := range nonceSize {
		s[i] ^= nonce[i]
	}
	s[15] &= 0x7f
	enc.Encrypt(tag, s[:])
}

// ctr XORs src with the AES-GCM-SIV key stream into dst. The first counter
// block is the tag with its top bit set; only the first 32 bits count, as a
// little-endian integer that wraps (RFC 8452 §4).
func ctr(enc cipher.Block, tag, dst, src []byte) {
	var block, ks [sivBlockSize]byte
	copy(block[:], tag)
	block[15] |= 0x80
	counter := binary.LittleEndian.Uint32(block[:4])
	for len(src) > 0 {
		binary.LittleEndian.PutUint32(block[:4], counter)
		enc.Encrypt(ks[:], block[:])
		n := subtle.XORBytes(dst, src, ks[:])
		dst, src = dst[n:], src[n:]
		counter++
	}
}

// polyval accumulates POLYVAL over GF(2^128) with the reduction polynomial
// x^128 + x^127 + x^126 + x^121 + 1 (RFC 8452 §3). Field elements are
// little-endian 128-bit integers held as (hi, lo) words.
type polyval struct {
	hHi, hLo uint64
	sHi, sLo uint64
}

func newPolyval(h *[16]byte) polyval {
	return polyval{
		hLo: binary.LittleEndian.Uint64(h[:8]),
		hHi: binary.LittleEndian.Uint64(h[8:]),
	}
}

// updateBlock absorbs one 16-byte block: S = (S ⊕ X) · H · x^-128.
func (p *polyval) updateBlock(x []byte) {
	lo := p.sLo ^ binary.LittleEndian.Uint64(x[:8])
	hi := p.sHi ^ binary.LittleEndian.Uint64(x[8:16])
	p.sHi, p.sLo = polyvalDot(hi, lo, p.hHi, p.hLo)
}

// updatePadded absorbs b, zero-padding the last partial block.
func (p *polyval) updatePadded(b []byte) {
	for len(b) >= sivBlockSize {
		p.updateBlock(b[:sivBlockSize])
		b = b[sivBlockSize:]
	}
	if len(b) > 0 {
		var last [sivBlockSize]byte
		copy(last[:], b)
		p.updateBlock(last[:])
	}
}

func (p *polyval) sum(out *[16]byte) {
	binary.LittleEndian.PutUint64(out[:8], p.sLo)
	binary.LittleEndian.PutUint64(out[8:], p.sHi)
}

// polyvalDot returns a · b · x^-128 mod P.
func polyvalDot(aHi, aLo, bHi, bLo uint64) (hi, lo uint64) {
	// 256-bit carry-less product c3:c2:c1:c0 by Karatsuba.
	c1, c0 := clmul(aLo, bLo)
	c3, c2 := clmul(aHi, bHi)
	mHi, mLo := clmul(aLo^aHi, bLo^bHi)
	mHi ^= c1 ^ c3
	mLo ^= c0 ^ c2
	c1 ^= mLo
	c2 ^= mHi

	// Montgomery reduction by x^128, one word at a time. P ≡ 1 mod x^64,
	// so adding q·P with q equal to the lowest word clears that word; the
	// x^121, x^126, x^127 and x^128 terms of q·P land in the next two words.
	c1 ^= c0<<57 ^ c0<<62 ^ c0<<63
	c2 ^= c0 ^ c0>>7 ^ c0>>2 ^ c0>>1
	c2 ^= c1<<57 ^ c1<<62 ^ c1<<63
	c3 ^= c1 ^ c1>>7 ^ c1>>2 ^ c1>>1
	return c3, c2
}

// clmul returns the 128-bit carry-less product of x and y.
func clmul(x, y uint64) (hi, lo uint64) {
	lo = bmul64(x, y)
	// Bit-reversing both inputs reverses the 127-bit product, so the low
	// word of that product, reversed back, is bits 63..126 of x·y.
	hi = bits.Reverse64(bmul64(bits.Reverse64(x), bits.Reverse64(y))) >> 1
	return hi, lo
}

// bmul64 returns the low 64 bits of the carry-less product of x and y in
// constant time: integer multiplies on operands with every fourth bit kept
// leave three-bit gaps that absorb the carries, which the masks then drop.
func bmul64(x, y uint64) uint64 {
	const (
		m0 = 0x1111111111111111
		m1 = 0x2222222222222222
		m2 = 0x4444444444444444
		m3 = 0x8888888888888888
	)
	x0, x1, x2, x3 := x&m0, x&m1, x&m2, x&m3
	y0, y1, y2, y3 := y&m0, y&m1, y&m2, y&m3
	z0 := x0*y0 ^ x1*y3 ^ x2*y2 ^ x3*y1
	z1 := x0*y1 ^ x1*y0 ^ x2*y3 ^ x3*y2
	z2 := x0*y2 ^ x1*y1 ^ x2*y0 ^ x3*y3
	z3 := x0*y3 ^ x1*y2 ^ x2*y1 ^ x3*y0
	return z0&m0 | z1&m1 | z2&m2 | z3&m3
}
