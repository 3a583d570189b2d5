package api

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/convex-go/convex/internal/lazy"
)

// authProvider is one entry of auth.config.js (spec §1.6), as evaluated at
// push time: OIDC ({applicationID, domain}) or custom JWT.
type authProvider struct {
	Type          string  `json:"type,omitempty"` // "customJwt" or "" (OIDC)
	ApplicationID *string `json:"applicationID"`
	Domain        string  `json:"domain,omitempty"`
	Issuer        string  `json:"issuer,omitempty"`
	JWKS          string  `json:"jwks,omitempty"`
	Algorithm     string  `json:"algorithm,omitempty"`
}

func (p authProvider) issuer() string {
	if p.Type == "customJwt" {
		return p.Issuer
	}
	return p.Domain
}

// wire is the provider as start_push's appAuth lists it.
func (p authProvider) wire() map[string]any {
	if p.Type == "customJwt" {
		return map[string]any{"type": "customJwt", "applicationID": p.ApplicationID, "issuer": p.Issuer, "jwks": p.JWKS, "algorithm": p.Algorithm}
	}
	app := ""
	if p.ApplicationID != nil {
		app = *p.ApplicationID
	}
	return map[string]any{"applicationID": app, "domain": p.Domain}
}

var envRefRE = lazy.Regexp(`process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\])`)

// parseAuthConfig validates the evaluated default export of auth.config.js.
// source is the module text, used to name an unset variable it reads.
func parseAuthConfig(raw []byte, source string, env map[string]string) ([]authProvider, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var cfg struct {
		Providers []map[string]any `json:"providers"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, badRequest("InvalidAuthConfig", "Hit an error while pushing:\nauth.config.js must export {providers: [...]}: %v", err)
	}
	missing := func() error {
		for _, m := range envRefRE.Get().FindAllStringSubmatch(source, -1) {
			name := m[1] + m[2]
			if _, ok := env[name]; !ok {
				return badRequest("AuthConfigMissingEnvironmentVariable",
					"Environment variable %s is used in auth config file but its value was not set", name)
			}
		}
		return nil
	}
	var out []authProvider
	for i, p := range cfg.Providers {
		str := func(k string) (string, bool) { s, ok := p[k].(string); return s, ok && s != "" }
		var ap authProvider
		if t, _ := str("type"); t == "customJwt" {
			ap.Type = "customJwt"
			var ok1, ok2 bool
			ap.Issuer, ok1 = str("issuer")
			ap.JWKS, ok2 = str("jwks")
			ap.Algorithm, _ = str("algorithm")
			if ap.Algorithm == "" {
				ap.Algorithm = "RS256"
			}
			if !ok1 || !ok2 {
				if err := missing(); err != nil {
					return nil, err
				}
				return nil, badRequest("InvalidAuthConfig", "Hit an error while pushing:\nauth provider %d (customJwt) needs issuer and jwks", i)
			}
			if ap.Algorithm != "RS256" && ap.Algorithm != "ES256" {
				return nil, badRequest("InvalidAuthConfig", "Hit an error while pushing:\nauth provider %d: algorithm must be RS256 or ES256", i)
			}
			if a, ok := str("applicationID"); ok {
				ap.ApplicationID = &a
			}
		} else {
			d, ok1 := str("domain")
			a, ok2 := str("applicationID")
			if !ok1 || !ok2 {
				if err := missing(); err != nil {
					return nil, err
				}
				return nil, badRequest("InvalidAuthConfig", "Hit an error while pushing:\nauth provider %d needs domain and applicationID", i)
			}
			ap.Domain, ap.ApplicationID = d, &a
		}
		out = append(out, ap)
	}
	return out, nil
}

// jwksCache fetches and caches key sets by URL.
type jwksCache struct {
	mu     sync.Mutex
	sets   map[string]jwksEntry
	client *http.Client
}

type jwksEntry struct {
	keys    []jwk
	fetched time.Time
}

type jwk struct {
	Kty, Kid, Alg, Use, N, E, Crv, X, Y string
}

func newJWKSCache() *jwksCache {
	return &jwksCache{sets: map[string]jwksEntry{}, client: &http.Client{Timeout: 10 * time.Second}}
}

func (c *jwksCache) fetch(ctx context.Context, url string, v any) error {
	if strings.HasPrefix(url, "data:") {
		meta, data, ok := strings.Cut(strings.TrimPrefix(url, "data:"), ",")
		if !ok {
			return errors.New("malformed data: URL")
		}
		b := []byte(data)
		if strings.HasSuffix(meta, ";base64") {
			var err error
			if b, err = base64.StdEncoding.DecodeString(data); err != nil {
				return fmt.Errorf("data: URL: %w", err)
			}
		}
		return json.Unmarshal(b, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// keys returns the key set for a provider, refreshing it after 10 minutes
// or when refresh is set (an unknown kid).
func (c *jwksCache) keys(ctx context.Context, p authProvider, refresh bool) ([]jwk, error) {
	url := p.JWKS
	if p.Type != "customJwt" {
		url = strings.TrimRight(p.Domain, "/") + "/.well-known/openid-configuration"
	}
	c.mu.Lock()
	e, ok := c.sets[url]
	c.mu.Unlock()
	if ok && !refresh && time.Since(e.fetched) < 10*time.Minute {
		return e.keys, nil
	}
	jwksURL := url
	if p.Type != "customJwt" {
		var disco struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := c.fetch(ctx, url, &disco); err != nil {
			return nil, fmt.Errorf("fetching the OpenID configuration: %w", err)
		}
		if disco.JWKSURI == "" {
			return nil, errors.New("the OpenID configuration has no jwks_uri")
		}
		jwksURL = disco.JWKSURI
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := c.fetch(ctx, jwksURL, &set); err != nil {
		return nil, fmt.Errorf("fetching the JWKS: %w", err)
	}
	c.mu.Lock()
	c.sets[url] = jwksEntry{keys: set.Keys, fetched: time.Now()}
	c.mu.Unlock()
	return set.Keys, nil
}

func b64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func (k jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64url(k.N)
		e, err2 := b64url(k.E)
		if err1 != nil || err2 != nil || len(e) > 8 {
			return nil, errors.New("bad RSA key")
		}
		var ev int
		for _, b := range e {
			ev = ev<<8 | int(b)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: ev}, nil
	case "EC":
		if k.Crv != "P-256" {
			return nil, fmt.Errorf("unsupported curve %s", k.Crv)
		}
		x, err1 := b64url(k.X)
		y, err2 := b64url(k.Y)
		if err1 != nil || err2 != nil {
			return nil, errors.New("bad EC key")
		}
		pk := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
		if !pk.Curve.IsOnCurve(pk.X, pk.Y) {
			return nil, errors.New("EC key is not on its curve")
		}
		return pk, nil
	}
	return nil, fmt.Errorf("unsupported key type %q", k.Kty)
}

func verifySig(alg string, key crypto.PublicKey, signed, sig []byte) error {
	switch alg {
	case "RS256", "RS384", "RS512":
		pk, ok := key.(*rsa.PublicKey)
		if !ok {
			return errors.New("key type does not match alg")
		}
		h, digest := hashFor(alg, signed)
		return rsa.VerifyPKCS1v15(pk, h, digest, sig)
	case "ES256":
		pk, ok := key.(*ecdsa.PublicKey)
		if !ok || len(sig) != 64 {
			return errors.New("bad ES256 signature")
		}
		d := sha256.Sum256(signed)
		if !ecdsa.Verify(pk, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return errors.New("signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unsupported alg %q", alg)
}

func hashFor(alg string, b []byte) (crypto.Hash, []byte) {
	switch alg {
	case "RS384":
		d := sha512.Sum384(b)
		return crypto.SHA384, d[:]
	case "RS512":
		d := sha512.Sum512(b)
		return crypto.SHA512, d[:]
	}
	d := sha256.Sum256(b)
	return crypto.SHA256, d[:]
}

// standardClaim maps an OIDC claim name to its UserIdentity field.
func standardClaim(claim string) (string, bool) {
	switch claim {
	case "name":
		return "name", true
	case "given_name":
		return "givenName", true
	case "family_name":
		return "familyName", true
	case "nickname":
		return "nickname", true
	case "preferred_username":
		return "preferredUsername", true
	case "profile":
		return "profileUrl", true
	case "picture":
		return "pictureUrl", true
	case "website":
		return "websiteUrl", true
	case "email":
		return "email", true
	case "email_verified":
		return "emailVerified", true
	case "gender":
		return "gender", true
	case "birthdate":
		return "birthday", true
	case "zoneinfo":
		return "timezone", true
	case "locale":
		return "language", true
	case "phone_number":
		return "phoneNumber", true
	case "phone_number_verified":
		return "phoneNumberVerified", true
	case "address":
		return "address", true
	case "updated_at":
		return "updatedAt", true
	}
	return "", false
}

// userToken is a verified token: the identity JSON a function sees and
// when the token stops being valid.
type userToken struct {
	identity []byte
	expires  time.Time
}

// tokenLeeway is the clock skew allowed on exp and nbf.
const tokenLeeway = 30 * time.Second

// expired reports whether the token's validity ended before now.
func (u userToken) expired(now time.Time) bool { return now.After(u.expires.Add(tokenLeeway)) }

// verifyJWT checks token against the deployment's providers and returns
// the user identity JSON a function sees.
func (s *Server) verifyJWT(ctx context.Context, token string) ([]byte, error) {
	u, err := s.verifyToken(ctx, token)
	return u.identity, err
}

// verifyToken checks token against the deployment's providers.
func (s *Server) verifyToken(ctx context.Context, token string) (userToken, error) {
	dep := s.dep.Load()
	var providers []authProvider
	if dep != nil {
		providers = dep.auth
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return userToken{}, errors.New("the token is not a JWT")
	}
	hb, err1 := b64url(parts[0])
	pb, err2 := b64url(parts[1])
	sig, err3 := b64url(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return userToken{}, errors.New("the token is not valid base64url")
	}
	var header struct{ Alg, Kid string }
	var claims map[string]any
	if json.Unmarshal(hb, &header) != nil || json.Unmarshal(pb, &claims) != nil {
		return userToken{}, errors.New("the token is not valid JSON")
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	var auds []string
	switch a := claims["aud"].(type) {
	case string:
		auds = []string{a}
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok {
				auds = append(auds, s)
			}
		}
	}
	var provider *authProvider
	for i, p := range providers {
		if strings.TrimRight(p.issuer(), "/") != strings.TrimRight(iss, "/") {
			continue
		}
		if p.ApplicationID != nil && !contains(auds, *p.ApplicationID) {
			continue
		}
		provider = &providers[i]
		break
	}
	if provider == nil {
		return userToken{}, fmt.Errorf("no auth provider found matching the given token (issuer %q, audience %v); check auth.config.ts", iss, auds)
	}
	if provider.Type == "customJwt" && header.Alg != provider.Algorithm {
		return userToken{}, fmt.Errorf("token algorithm %s does not match the provider's %s", header.Alg, provider.Algorithm)
	}
	signed := []byte(parts[0] + "." + parts[1])
	verified, knownKid := false, false
	// A second, fresh fetch of the keys is for a key the provider rotated
	// in: not when the cached set already holds the token's kid, so bad
	// signatures do not each cost a fetch from the provider.
	for attempt := 0; attempt < 2 && !verified && !knownKid; attempt++ {
		keys, err := s.jwks.keys(ctx, *provider, attempt == 1)
		if err != nil {
			return userToken{}, err
		}
		for _, k := range keys {
			if header.Kid != "" && k.Kid == header.Kid {
				knownKid = true
			}
			if header.Kid != "" && k.Kid != "" && k.Kid != header.Kid {
				continue
			}
			pk, err := k.publicKey()
			if err != nil {
				continue
			}
			if verifySig(header.Alg, pk, signed, sig) == nil {
				verified = true
				break
			}
		}
	}
	if !verified {
		return userToken{}, errors.New("the token signature could not be verified")
	}
	// Convex requires exp: a token without one would never expire.
	exp, ok := claims["exp"].(float64)
	if !ok {
		return userToken{}, errors.New("the token has no expiration time (exp)")
	}
	u := userToken{expires: time.Unix(int64(exp), 0)}
	now := time.Now()
	if u.expired(now) {
		return userToken{}, errors.New("the token has expired")
	}
	if nbf, ok := claims["nbf"].(float64); ok && now.Add(tokenLeeway).Before(time.Unix(int64(nbf), 0)) {
		return userToken{}, errors.New("the token is not valid yet")
	}
	if sub == "" {
		return userToken{}, errors.New("the token has no subject (sub)")
	}
	id := map[string]any{"tokenIdentifier": iss + "|" + sub, "issuer": iss, "subject": sub}
	for k, v := range claims {
		if droppedClaim(k) {
			continue
		}
		if name, ok := standardClaim(k); ok {
			id[name] = standardValue(k, v)
			continue
		}
		flatten(id, k, v)
	}
	var err error
	u.identity, err = json.Marshal(id)
	return u, err
}

// standardValue converts a standard claim's value to the identity's type:
// updated_at is seconds since the epoch in a token and an RFC 3339 string
// with a numeric UTC offset (2024-03-05T19:30:08+00:00) in an identity.
func standardValue(claim string, v any) any {
	if secs, ok := v.(float64); ok && claim == "updated_at" {
		return time.Unix(int64(secs), 0).UTC().Format("2006-01-02T15:04:05-07:00")
	}
	return v
}

// droppedClaim reports the claims an identity leaves out: iss and sub
// (they become issuer and subject), the OIDC ID-token claims that describe
// the token rather than the user (audience, lifetime, nonce, hashes,
// authentication context), and jti, nbf and Clerk's fva. What is left are
// the user's attributes, standard and custom.
func droppedClaim(k string) bool {
	switch k {
	case "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash", "c_hash",
		"jti", "nbf", "fva":
		return true
	}
	return false
}

func flatten(out map[string]any, prefix string, v any) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, x := range m {
			flatten(out, prefix+"."+k, x)
		}
		return
	}
	out[prefix] = v
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func wireAuth(ps []authProvider) []any {
	out := []any{}
	for _, p := range ps {
		out = append(out, p.wire())
	}
	return out
}

// authDiff lists providers (by issuer) added and removed by a push.
func authDiff(old, next []authProvider) map[string][]string {
	d := map[string][]string{"added": {}, "removed": {}}
	key := func(p authProvider) string { b, _ := json.Marshal(p.wire()); return string(b) }
	was, is := map[string]bool{}, map[string]bool{}
	for _, p := range old {
		was[key(p)] = true
	}
	for _, p := range next {
		is[key(p)] = true
		if !was[key(p)] {
			d["added"] = append(d["added"], p.issuer())
		}
	}
	for _, p := range old {
		if !is[key(p)] {
			d["removed"] = append(d["removed"], p.issuer())
		}
	}
	return d
}

// identityFor is the identity a function sees for caller c: an admin's
// acting-as user, a verified JWT, or nil. An invalid token is a 401.
func (s *Server) identityFor(ctx context.Context, c caller) ([]byte, error) {
	if c.ActingAs != nil {
		return json.Marshal(c.ActingAs)
	}
	if c.Bearer == "" {
		return nil, nil
	}
	id, err := s.verifyJWT(ctx, c.Bearer)
	if err != nil {
		return nil, errorf(http.StatusUnauthorized, "InvalidAuthHeader", "Could not verify the auth token: %v", err)
	}
	return id, nil
}
