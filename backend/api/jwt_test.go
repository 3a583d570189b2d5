package api

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const authModule = `export default { providers: [
  { domain: process.env.AUTH_DOMAIN, applicationID: "convex" },
  { type: "customJwt", issuer: "https://custom.example", jwks: process.env.CUSTOM_JWKS, algorithm: "ES256", applicationID: null },
] };`

const whoModule = `
const fn = async () => {};
fn.isQuery = true; fn.isPublic = true;
fn.exportArgs = () => '{"type":"any"}'; fn.exportReturns = () => "null";
fn.invokeQuery = async () => Convex.asyncSyscall("1.0/getUserIdentity", "{}");
export const me = fn;
`

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func signRS256(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": kid, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	signed := b64(h) + "." + b64(c)
	d := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + b64(sig)
}

func signES256(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	signed := b64(h) + "." + b64(c)
	d := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signed + "." + b64(sig)
}

func TestJWTAuth(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var idp *httptest.Server
	idp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": idp.URL, "jwks_uri": idp.URL + "/jwks"})
		case "/jwks":
			json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
				"kty": "RSA", "kid": "k1", "alg": "RS256", "n": b64(rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(rsaKey.E)).Bytes()),
			}}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer idp.Close()
	ecJWKS, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "x": b64(ecKey.X.FillBytes(make([]byte, 32))), "y": b64(ecKey.Y.FillBytes(make([]byte, 32)))}}})

	e := newTestEnv(t)
	mods := []map[string]any{{"path": "auth.config.js", "source": authModule, "environment": "isolate"}, {"path": "who.js", "source": whoModule, "environment": "isolate"}}
	// An unset variable the config reads is named in the error.
	code, m, raw := e.do("POST", "/api/deploy2/start_push", pushRequest(e.key, mods, nil, nil), nil)
	if code != 400 || m["code"] != "AuthConfigMissingEnvironmentVariable" || !strings.Contains(m["message"].(string), "Environment variable AUTH_DOMAIN") {
		t.Fatalf("missing env: %d %s", code, raw)
	}
	e.do("POST", "/api/update_environment_variables", map[string]any{"changes": []any{
		map[string]any{"name": "AUTH_DOMAIN", "value": idp.URL},
		map[string]any{"name": "CUSTOM_JWKS", "value": "data:text/plain;charset=utf-8;base64," + base64.StdEncoding.EncodeToString(ecJWKS)},
	}}, e.admin())
	start, _, finish := e.push(pushRequest(e.key, mods, nil, nil))
	if auth, _ := start["appAuth"].([]any); len(auth) != 2 || get(auth[0], "domain") != idp.URL || get(auth[1], "type") != "customJwt" {
		t.Fatalf("appAuth: %v", start["appAuth"])
	}
	if added, _ := get(finish, "authDiff", "added").([]any); len(added) != 2 {
		t.Errorf("authDiff: %v", get(finish, "authDiff"))
	}

	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	exp := float64(time.Now().Add(time.Hour).Unix())
	tok := signRS256(t, rsaKey, "k1", map[string]any{"iss": idp.URL, "sub": "user1", "aud": "convex", "exp": exp,
		"email": "a@b.c", "email_verified": true, "jti": "drop", "org": map[string]any{"id": "o1"}})
	r := e.call("query", "who:me", map[string]any{}, bearer(tok))
	want := map[string]any{"tokenIdentifier": idp.URL + "|user1", "subject": "user1", "email": "a@b.c", "emailVerified": true, "org.id": "o1"}
	for k, v := range want {
		if get(r, "value", k) != v {
			t.Errorf("identity[%s] = %v, want %v (%v)", k, get(r, "value", k), v, r)
		}
	}
	if get(r, "value", "jti") != nil {
		t.Errorf("jti kept: %v", r)
	}
	// No token: null identity.
	if r := e.call("query", "who:me", map[string]any{}, nil); r["status"] != "success" || r["value"] != nil {
		t.Errorf("anonymous: %v", r)
	}
	// Custom JWT with ES256 and a data: JWKS.
	r = e.call("query", "who:me", map[string]any{}, bearer(signES256(t, ecKey, map[string]any{"iss": "https://custom.example", "sub": "u2", "exp": exp})))
	if get(r, "value", "tokenIdentifier") != "https://custom.example|u2" {
		t.Errorf("custom jwt: %v", r)
	}
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, bad := range map[string]string{
		"expired":       signRS256(t, rsaKey, "k1", map[string]any{"iss": idp.URL, "sub": "u", "aud": "convex", "exp": float64(time.Now().Add(-time.Hour).Unix())}),
		"wrong key":     signRS256(t, otherKey, "k1", map[string]any{"iss": idp.URL, "sub": "u", "aud": "convex", "exp": exp}),
		"wrong aud":     signRS256(t, rsaKey, "k1", map[string]any{"iss": idp.URL, "sub": "u", "aud": "other", "exp": exp}),
		"wrong issuer":  signRS256(t, rsaKey, "k1", map[string]any{"iss": "https://evil", "sub": "u", "aud": "convex", "exp": exp}),
		"not a jwt":     "abc",
		"tampered body": tok[:strings.Index(tok, ".")+1] + b64([]byte(`{"iss":"x","sub":"admin"}`)) + tok[strings.LastIndex(tok, "."):],
	} {
		code, m, raw := e.do("POST", "/api/query", map[string]any{"path": "who:me", "args": map[string]any{}}, bearer(bad))
		if code != 401 || m["code"] != "InvalidAuthHeader" {
			t.Errorf("%s: %d %s", name, code, raw)
		}
	}
}
