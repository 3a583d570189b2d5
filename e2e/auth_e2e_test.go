package e2e_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// idp is a stand-in identity provider on 127.0.0.1: an OIDC discovery
// document and JWKS at its root (issuer = its URL), a custom-JWT issuer
// with an RSA key under /custom and one with a P-256 key under /es,
// POST /sign, which the scenario script calls for tokens, and POST /rotate,
// which replaces the OIDC key by one with a new kid.
type idp struct {
	srv                          *httptest.Server
	oidcKey, customKey, wrongKey *rsa.PrivateKey
	esKey                        *ecdsa.PrivateKey

	mu      sync.Mutex
	rotated *rsa.PrivateKey // after POST /rotate: the OIDC key, kid oidc-2
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	p := &idp{}
	var err error
	for _, k := range []**rsa.PrivateKey{&p.oidcKey, &p.customKey, &p.wrongKey} {
		if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	}
	if p.esKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(p.serve)}}
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) url() string { return p.srv.URL }

// oidcKeyNow is the OIDC signing key and its kid; p.mu must be held.
func (p *idp) oidcKeyNow() (*rsa.PrivateKey, string) {
	if p.rotated != nil {
		return p.rotated, "oidc-2"
	}
	return p.oidcKey, "oidc-1"
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(k *rsa.PrivateKey, kid string) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func (p *idp) serve(w http.ResponseWriter, r *http.Request) {
	writeJSON := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		writeJSON(map[string]any{"issuer": p.url(), "jwks_uri": p.url() + "/oidc/jwks.json",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	case "/oidc/jwks.json":
		p.mu.Lock()
		key, kid := p.oidcKeyNow()
		p.mu.Unlock()
		writeJSON(map[string]any{"keys": []any{rsaJWK(key, kid)}})
	case "/rotate":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		p.mu.Lock()
		p.rotated = k
		p.mu.Unlock()
		writeJSON(map[string]string{"kid": "oidc-2"})
	case "/custom/jwks.json":
		writeJSON(map[string]any{"keys": []any{rsaJWK(p.customKey, "custom-1")}})
	case "/es/jwks.json":
		x, y := make([]byte, 32), make([]byte, 32)
		p.esKey.X.FillBytes(x)
		p.esKey.Y.FillBytes(y)
		writeJSON(map[string]any{"keys": []any{map[string]string{"kty": "EC", "crv": "P-256", "kid": "es-1", "alg": "ES256", "x": b64(x), "y": b64(y)}}})
	case "/sign":
		var req struct {
			Kind   string
			Claims map[string]any
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tok, err := p.sign(req.Kind, req.Claims)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, tok)
	default:
		http.NotFound(w, r)
	}
}

// sign makes a token of kind oidc, custom, es, or badsig (an OIDC token
// signed with a key the JWKS does not hold, under the JWKS's kid). claims
// override the kind's defaults (iss, aud, iat, exp one hour ahead); a null
// claim removes the default.
func (p *idp) sign(kind string, claims map[string]any) (string, error) {
	now := time.Now().Unix()
	c := map[string]any{"iat": now, "exp": now + 3600}
	header := map[string]string{"typ": "JWT", "alg": "RS256"}
	var key crypto.Signer
	switch kind {
	case "oidc", "badsig":
		c["iss"], c["aud"] = p.url(), "convex-app"
		p.mu.Lock()
		k, kid := p.oidcKeyNow()
		p.mu.Unlock()
		header["kid"], key = kid, k
		if kind == "badsig" {
			key = p.wrongKey
		}
	case "custom":
		c["iss"], c["aud"] = p.url()+"/custom", "custom-app"
		header["kid"], key = "custom-1", p.customKey
	case "es":
		c["iss"] = p.url() + "/es"
		header["kid"], header["alg"], key = "es-1", "ES256", p.esKey
	default:
		return "", fmt.Errorf("unknown token kind %q", kind)
	}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	hb, _ := json.Marshal(header)
	cb, _ := json.Marshal(c)
	signed := b64(hb) + "." + b64(cb)
	digest := sha256.Sum256([]byte(signed))
	var sig []byte
	if ek, ok := key.(*ecdsa.PrivateKey); ok {
		r, s, err := ecdsa.Sign(rand.Reader, ek, digest[:])
		if err != nil {
			return "", err
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	} else {
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, digest[:]); err != nil {
			return "", err
		}
	}
	return signed + "." + b64(sig), nil
}

// TestAuthE2E deploys the authapp (OIDC and custom-JWT providers pointing
// at a stand-in identity provider) and checks what ConvexHttpClient,
// ConvexClient, raw sync frames and HTTP actions see for good, missing,
// refreshed and bad tokens.
func TestAuthE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: drives the reference CLI and the npm clients")
	}
	nm := nodeModules(t)
	p := newIDP(t)
	r := startBackend(t, "e2e-auth")
	app := t.TempDir()
	if err := copyApp(app, filepath.Join(e2eDir(t), "testdata", "backend", "authapp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(nm, filepath.Join(app, "node_modules")); err != nil {
		t.Fatal(err)
	}
	env := cliEnv(t, r.CloudURL, r.AdminKey)
	for name, v := range map[string]string{"OIDC_DOMAIN": p.url(), "CUSTOM_ISSUER": p.url() + "/custom", "ES_ISSUER": p.url() + "/es"} {
		runCLI(t, app, env, time.Minute, "env", "set", name, v)
	}
	runCLI(t, app, env, 2*time.Minute, "deploy", "--typecheck", "disable")

	res := runScenario(t, app, nm, 90*time.Second, r.CloudURL, r.SiteURL, p.url())
	k := kitchenResults{t: t, res: res}
	iss := p.url()

	// ConvexHttpClient: no token, then an OIDC token; the identity is built
	// from the claims (standard ones renamed, updated_at as a date string,
	// custom ones kept, nested ones flattened, the token's own claims such
	// as aud, exp, iat, jti and nbf left out).
	k.equal("httpAnon", `null`)
	k.failed("httpAnonMutation", "addNote: not signed in")
	k.equal("httpAnonAction", `{"own":null,"nested":null}`)
	k.equal("httpOidc", `{"tokenIdentifier":"`+iss+`|user-1","issuer":"`+iss+`","subject":"user-1","name":"Ada Lovelace",
		"email":"ada@example.com","emailVerified":true,"givenName":"Ada","updatedAt":"2024-03-05T19:30:08+00:00","org":"analytical","plan.tier":"gold","plan.seats":3}`)
	k.equal("httpOidcMutation", `"user-1"`)
	k.equal("httpOidcNotes", `{"subject":"user-1","notes":["from http"]}`)
	k.equal("httpOidcAction", `{"own":"`+iss+`|user-1","nested":"`+iss+`|user-1"}`)
	k.equal("httpOidcNodeAction", `{"own":"`+iss+`|user-1","nested":"`+iss+`|user-1","runtime":"string"}`)
	k.equal("httpAnonNodeAction", `{"own":null,"nested":null,"runtime":"string"}`)
	// Scheduled functions run as nobody, whoever scheduled them.
	k.equal("scheduledJob", `{"ranAs":null}`)

	k.equal("httpCustom", `{"tokenIdentifier":"`+iss+`/custom|user-2","issuer":"`+iss+`/custom","subject":"user-2","role":"admin"}`)
	// ES256, no applicationID: any audience.
	k.equal("httpES", `{"tokenIdentifier":"`+iss+`/es|user-3","issuer":"`+iss+`/es","subject":"user-3"}`)

	// Rejected tokens: a non-2xx answer whose text names the problem.
	k.failed("httpWrongAudience", "InvalidAuthHeader", "other-app")
	k.failed("httpWrongIssuer", "InvalidAuthHeader", "http://127.0.0.1:1/elsewhere")
	k.failed("httpBadSignature", "InvalidAuthHeader", "signature")
	k.failed("httpExpired", "InvalidAuthHeader", "expired")
	k.failed("httpCustomWrongAudience", "InvalidAuthHeader", "convex-app")
	k.failed("httpNotAJwt", "InvalidAuthHeader", "JWT")
	k.failed("httpBadMutation", "InvalidAuthHeader")

	// HTTP actions read the Bearer token; ctx.runQuery passes it on.
	k.equal("httpActionAnon", `{"status":200,"body":{"identity":null,"viaQuery":null}}`)
	var ha struct {
		Status int
		Body   struct{ Identity, ViaQuery map[string]any }
	}
	k.decode("httpActionOidc", &ha)
	if ha.Status != 200 || ha.Body.Identity["tokenIdentifier"] != iss+"|user-1" || ha.Body.ViaQuery["tokenIdentifier"] != iss+"|user-1" {
		t.Errorf("HTTP action with an OIDC token: %+v", ha)
	}
	var bad struct {
		Status int
		Body   struct{ Error string }
	}
	k.decode("httpActionBadToken", &bad)
	if bad.Status != 401 || !strings.Contains(bad.Body.Error, "signature") {
		t.Errorf("HTTP action with a refused token: %+v", bad)
	}

	// Raw sync frames: a valid Authenticate moves the identity version in
	// the next Transition; a rejected one is an AuthError at version 0,
	// authUpdateAttempted, then a close.
	var frames []map[string]any
	k.decode("rawValid", &frames)
	if len(frames) == 0 || frames[0]["type"] != "Transition" || frames[0]["startIdentity"] != 0.0 || frames[0]["endIdentity"] != 1.0 ||
		!strings.Contains(string(res["rawValid"]), `"values":["raw-user"]`) {
		t.Errorf("valid Authenticate, then whoami: %v", frames)
	}
	k.decode("rawThenBad", &frames)
	if len(frames) != 3 || frames[0]["type"] != "Transition" || frames[0]["endIdentity"] != 1.0 ||
		frames[1]["type"] != "AuthError" || frames[1]["baseVersion"] != 1.0 || frames[1]["authUpdateAttempted"] != true ||
		frames[2]["closed"] == nil {
		t.Errorf("a good Authenticate, then a bad one: %v", frames)
	}
	k.decode("rawNone", &frames)
	if len(frames) == 0 || frames[0]["endIdentity"] != 1.0 || !strings.Contains(string(res["rawNone"]), `"values":[null]`) {
		t.Errorf("Authenticate None: %v", frames)
	}
	for name, want := range map[string]string{"rawExpired": "expired", "rawWrongAudience": "other-app"} {
		k.decode(name, &frames)
		if len(frames) < 1 || frames[0]["type"] != "AuthError" || frames[0]["baseVersion"] != 0.0 ||
			frames[0]["authUpdateAttempted"] != true || !strings.Contains(frames[0]["error"].(string), want) {
			t.Errorf("%s: want an AuthError naming %q at baseVersion 0 first: %v", name, want, frames)
			continue
		}
		if last := frames[len(frames)-1]; last["closed"] == nil {
			t.Errorf("%s: the socket stayed open after the AuthError: %v", name, frames)
		}
	}

	// ConvexClient.
	var anon struct {
		Identity any
		Mutation struct{ Error string }
	}
	k.decode("wsAnon", &anon)
	if anon.Identity != nil || !strings.Contains(anon.Mutation.Error, "addNote: not signed in") {
		t.Errorf("ConvexClient without auth: %+v", anon)
	}

	// Token refresh: the cached token, then a forced refresh right after the
	// server confirmed it, then the scheduled refresh before expiry; the
	// subscription follows each token and stays alive. Then clearAuth signs
	// out (Authenticate None). (ConvexClient calls
	// onChange(true) again on every confirmed refresh.)
	var refresh struct {
		Fetches, Changes       []bool
		Errors, Problems       []string
		Subject                string
		Action                 map[string]string
		SawTokens              bool
		LastName, ExpectedLast string
		LastNotes              map[string]any
		AfterSignOut           struct {
			Last     any
			Mutation struct{ Error string }
		}
	}
	k.decode("wsRefresh", &refresh)
	if fmt.Sprint(refresh.Fetches) != "[false true true]" || len(refresh.Changes) == 0 || slices.Contains(refresh.Changes, false) ||
		len(refresh.Errors) != 0 || len(refresh.Problems) != 0 || !refresh.SawTokens || refresh.LastName != refresh.ExpectedLast ||
		refresh.Subject != "ws-user" || refresh.Action["own"] != iss+"|ws-user" || refresh.Action["nested"] != iss+"|ws-user" ||
		fmt.Sprint(refresh.LastNotes["notes"]) != "[after refresh]" ||
		refresh.AfterSignOut.Last != nil || !strings.Contains(refresh.AfterSignOut.Mutation.Error, "not signed in") {
		t.Errorf("ConvexClient token refresh: %+v", refresh)
	}

	// Rejected tokens: AuthError, a retry with forceRefreshToken, then
	// onChange(false); the client goes on unauthenticated and logs the
	// server's message.
	for name, want := range map[string]string{
		"wsWrongAudience": "other-app", "wsWrongIssuer": "http://127.0.0.1:1/elsewhere",
		"wsBadSignature": "signature", "wsExpired": "expired",
	} {
		var rej struct {
			Fetches, Changes []bool
			Identity         any
			Mutation         struct{ Error string }
			Errors           []string
		}
		k.decode(name, &rej)
		if len(rej.Fetches) < 2 || rej.Fetches[0] || slices.Contains(rej.Fetches[1:], false) ||
			fmt.Sprint(rej.Changes) != "[false]" || rej.Identity != nil || !strings.Contains(rej.Mutation.Error, "not signed in") ||
			len(rej.Errors) == 0 || !strings.Contains(rej.Errors[0], "Failed to authenticate") || !strings.Contains(rej.Errors[0], want) {
			t.Errorf("%s: %+v", name, rej)
		}
	}
	var recovered struct {
		FirstFetches, Changes []bool
		Subjects, Errors      []string
	}
	k.decode("wsExpiredThenFresh", &recovered)
	if fmt.Sprint(recovered.FirstFetches) != "[false true]" || fmt.Sprint(recovered.Changes) != "[true]" ||
		fmt.Sprint(recovered.Subjects) != "[fresh-user]" || len(recovered.Errors) != 0 {
		t.Errorf("an expired cached token, then a fresh one: %+v", recovered)
	}

	// A token that expires while connected: the next call is an AuthError
	// (authUpdateAttempted false), the client fetches a new token with
	// forceRefreshToken and the mutation goes through under it.
	var late struct {
		Fetches, Changes []bool
		Subject          string
		Subjects         []string
	}
	k.decode("wsExpiresInSession", &late)
	if fmt.Sprint(late.Fetches) != "[false true true]" || len(late.Changes) == 0 || slices.Contains(late.Changes, false) ||
		late.Subject != "renewed-user" || fmt.Sprint(late.Subjects) != "[stale-user renewed-user]" {
		t.Errorf("a token expiring during the session: %+v", late)
	}

	// Key rotation: a token under a new kid makes the backend fetch the
	// JWKS again instead of waiting for its cache to age; the old key is gone.
	var rot struct {
		Kid, Subject string
		Old          struct{ Error string }
	}
	k.decode("rotatedKey", &rot)
	if rot.Kid != "oidc-2" || rot.Subject != "rotated-user" || !strings.Contains(rot.Old.Error, "signature") {
		t.Errorf("key rotation: %+v", rot)
	}

	if _, ok := res["timedOut"]; ok {
		t.Errorf("the scenario script timed out")
	}
	if t.Failed() || testing.Verbose() {
		for name, v := range res {
			t.Logf("%s: %s", name, v)
		}
	}
}
