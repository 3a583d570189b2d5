package ui

import "strings"

// Redact shows enough of a secret to recognise it and never enough to use it:
// "prod:happy-animal-123|abcd…wxyz". The part before the first '|' of a deploy
// key names a deployment, not a secret, so it is kept.
func Redact(secret string) string {
	if secret == "" {
		return ""
	}
	prefix, body := "", secret
	if i := strings.IndexByte(secret, '|'); i >= 0 {
		prefix, body = secret[:i+1], secret[i+1:]
	}
	if len(body) <= 12 {
		return prefix + "…"
	}
	return prefix + body[:4] + "…" + body[len(body)-4:]
}

// RedactAll replaces every occurrence of each non-empty secret in s.
func RedactAll(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 8 {
			s = strings.ReplaceAll(s, sec, Redact(sec))
		}
	}
	return s
}
