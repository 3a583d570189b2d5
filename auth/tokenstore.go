package auth

import (
	"errors"
	"io/fs"
	"os"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

// TokenStore is the user's login: the accessToken of the global config file
// (~/.convex/config.json, renamed under CONVEX_PROVISION_HOST). Other keys
// in the file are preserved; the file is written 0600.
type TokenStore struct{ Path string }

// NewTokenStore opens the token store for env's home directory.
func NewTokenStore(env config.Env) (*TokenStore, error) {
	p, err := config.GlobalConfigPath(env)
	if err != nil {
		return nil, err
	}
	return &TokenStore{Path: p}, nil
}

// Token returns the stored access token, "" when not logged in. A file
// that exists but cannot be parsed is an error naming it.
func (s *TokenStore) Token() (string, error) {
	c, err := config.ReadGlobalConfig(s.Path)
	if err != nil || c == nil {
		return "", err
	}
	return c.AccessToken, nil
}

// Save stores token, keeping the file's other keys. A corrupt file is not
// overwritten.
func (s *TokenStore) Save(token string) error {
	if token == "" {
		return ui.Errorf("refusing to store an empty access token")
	}
	return config.WriteGlobalConfig(s.Path, &config.GlobalConfig{AccessToken: token})
}

// Delete removes the token file (logout). It reports whether there was one.
func (s *TokenStore) Delete() (bool, error) {
	err := os.Remove(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, ui.Wrap(err, "cannot delete %s", s.Path)
	}
	return true, nil
}
