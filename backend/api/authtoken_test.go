package api

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	convexsync "github.com/convex-go/convex/backend/sync"
)

// oidcEnv pushes an OIDC provider (applicationID "convex") served by a
// stand-in issuer and who:me returning the identity.
func oidcEnv(t *testing.T) (*testEnv, *rsa.PrivateKey, string) {
	e, key, iss, _ := oidcEnvCounting(t)
	return e, key, iss
}

// oidcEnvCounting is oidcEnv that also counts the fetches of the JWKS.
func oidcEnvCounting(t *testing.T) (*testEnv, *rsa.PrivateKey, string, *atomic.Int32) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var idp *httptest.Server
	var fetches atomic.Int32
	idp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": idp.URL, "jwks_uri": idp.URL + "/jwks"})
		case "/jwks":
			fetches.Add(1)
			_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
				"kty": "RSA", "kid": "k1", "n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
			}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(idp.Close)
	e := newTestEnv(t)
	e.do("POST", "/api/update_environment_variables", map[string]any{"changes": []any{
		map[string]any{"name": "AUTH_DOMAIN", "value": idp.URL},
		map[string]any{"name": "CUSTOM_JWKS", "value": "data:application/json," + `{"keys":[]}`},
	}}, e.admin())
	mods := []map[string]any{{"path": "auth.config.js", "source": authModule, "environment": "isolate"}, {"path": "who.js", "source": whoModule, "environment": "isolate"}}
	e.push(pushRequest(e.key, mods, nil, nil))
	return e, key, idp.URL, &fetches
}

// Bad signatures under a kid the cached key set holds are refused without
// asking the provider again; an unknown kid makes one fresh fetch (a key
// the provider rotated in).
func TestJWKSRefetchOnlyForUnknownKid(t *testing.T) {
	e, key, iss, fetches := oidcEnvCounting(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Unix()
	query := func(tok string) int {
		code, _, _ := e.do("POST", "/api/query", map[string]any{"path": "who:me", "args": map[string]any{}},
			map[string]string{"Authorization": "Bearer " + tok})
		return code
	}
	if code := query(signRS256(t, key, "k1", map[string]any{"iss": iss, "sub": "u", "aud": "convex", "exp": exp})); code != 200 || fetches.Load() != 1 {
		t.Fatalf("valid token: %d, %d fetches", code, fetches.Load())
	}
	for i := 0; i < 3; i++ {
		if code := query(signRS256(t, other, "k1", map[string]any{"iss": iss, "sub": "u", "aud": "convex", "exp": exp})); code != 401 {
			t.Errorf("bad signature: %d", code)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("bad signatures under a known kid fetched the JWKS %d times in all, want 1", n)
	}
	if code := query(signRS256(t, other, "k2", map[string]any{"iss": iss, "sub": "u", "aud": "convex", "exp": exp})); code != 401 {
		t.Errorf("unknown kid: %d", code)
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("an unknown kid: %d JWKS fetches in all, want 2", n)
	}
}

// The identity keeps the user's claims and leaves out those that describe
// the token itself; a token without exp is refused.
func TestIdentityLeavesOutTokenClaims(t *testing.T) {
	e, key, iss := oidcEnv(t)
	now := time.Now().Unix()
	tok := signRS256(t, key, "k1", map[string]any{
		"iss": iss, "sub": "u1", "aud": []string{"convex", "other"}, "exp": now + 3600, "iat": now, "auth_time": now,
		"nonce": "n", "azp": "client", "at_hash": "h", "c_hash": "h", "acr": "1", "amr": []string{"pwd"}, "nbf": now - 5,
		"jti": "j", "fva": []int{1, 2}, "name": "Ada", "org_role": "admin", "team": map[string]any{"id": "t1"},
		"updated_at": 1709667008,
	})
	r := e.call("query", "who:me", map[string]any{}, map[string]string{"Authorization": "Bearer " + tok})
	id, _ := r["value"].(map[string]any)
	var keys []string
	for k := range id {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"issuer", "name", "org_role", "subject", "team.id", "tokenIdentifier", "updatedAt"}; !slices.Equal(keys, want) {
		t.Errorf("identity keys %v, want %v (%v)", keys, want, r)
	}
	// updated_at (seconds) becomes a date string, as UserIdentity.updatedAt is typed.
	if id["updatedAt"] != "2024-03-05T19:30:08+00:00" {
		t.Errorf("updatedAt = %#v", id["updatedAt"])
	}

	noExp := signRS256(t, key, "k1", map[string]any{"iss": iss, "sub": "u1", "aud": "convex", "iat": now})
	code, m, raw := e.do("POST", "/api/query", map[string]any{"path": "who:me", "args": map[string]any{}},
		map[string]string{"Authorization": "Bearer " + noExp})
	if msg, _ := m["message"].(string); code != 401 || m["code"] != "InvalidAuthHeader" || !strings.Contains(msg, "exp") {
		t.Errorf("token without exp: %d %s", code, raw)
	}
}

// A WebSocket identity outlives its token only by the leeway: afterwards a
// query, mutation or action on the connection is an AuthError, which the
// hub sends with authUpdateAttempted false.
func TestSyncIdentityExpires(t *testing.T) {
	e, key, iss := oidcEnv(t)
	b := syncBackend{s: e.srv}
	ctx := context.Background()
	// Expired 20 s ago: still inside the leeway, so Authenticate accepts it.
	exp := time.Now().Add(-20 * time.Second).Unix()
	id, err := b.Authenticate(ctx, convexsync.Auth{TokenType: "User", Token: signRS256(t, key, "k1",
		map[string]any{"iss": iss, "sub": "u1", "aud": "convex", "exp": exp})})
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	si := decodeSyncIdentity(id)
	if si.Expires != exp || !strings.Contains(string(si.User), `"u1"`) {
		t.Fatalf("identity %s", id)
	}
	res, err := b.RunQuery(ctx, convexsync.Request{Path: "who:me", Args: json.RawMessage(`{}`), Identity: id})
	if err != nil || res.Error != nil || !strings.Contains(string(res.Value), iss+"|u1") {
		t.Fatalf("query inside the leeway: %+v %v", res, err)
	}

	// The same identity once the leeway is over.
	si.Expires = time.Now().Add(-tokenLeeway - time.Second).Unix()
	old, _ := json.Marshal(si)
	req := convexsync.Request{Path: "who:me", Args: json.RawMessage(`{}`), Identity: old}
	var ae *convexsync.AuthError
	if _, err := b.RunQuery(ctx, req); !errors.As(err, &ae) || !strings.Contains(ae.Message, "expired") {
		t.Errorf("query with an expired identity: %v", err)
	}
	if _, err := b.RunMutation(ctx, req); !errors.As(err, &ae) {
		t.Errorf("mutation with an expired identity: %v", err)
	}
	if _, err := b.RunAction(ctx, req); !errors.As(err, &ae) {
		t.Errorf("action with an expired identity: %v", err)
	}

	// Admins and anonymous callers have no expiry.
	admin, err := b.Authenticate(ctx, convexsync.Auth{TokenType: "Admin", Token: e.key})
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []convexsync.Identity{admin, nil} {
		if res, err := b.RunQuery(ctx, convexsync.Request{Path: "who:me", Args: json.RawMessage(`{}`), Identity: who}); err != nil || res.Error != nil {
			t.Errorf("query as %s: %+v %v", who, res, err)
		}
	}
}
