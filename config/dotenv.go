package config

import (
	"regexp"
	"strings"

	"github.com/convex-go/convex/internal/lazy"
)

// Env files are read exactly as the npm `dotenv` package (v16, which the
// reference CLI bundles) reads them, because a user switching between the two
// CLIs must see the same values. Its rules differ from
// github.com/joho/godotenv in ways that change values, so we do not use that:
//
//   - "\r\n" and lone "\r" are normalised to "\n" before parsing;
//   - a line is `[export ]KEY=value` or `KEY: value`; keys are [A-Za-z0-9_.-]+;
//   - values may be quoted with ', " or ` and then span several lines;
//     an unquoted value ends at the first '#', even without a space before
//     it (godotenv needs the space);
//   - inside double quotes only \n and \r are escapes (godotenv also takes
//     \\ and \" and expands ${VAR}; dotenv expands nothing);
//   - the value is trimmed (JavaScript's notion of whitespace, which
//     includes U+FEFF, so a UTF-8 BOM is simply skipped), then one pair of
//     matching outer quotes is removed;
//   - lines that do not parse are skipped; a later duplicate key wins.
//
// Known gap: JavaScript treats U+2028/U+2029 as line ends in `$`, Go's
// regexp does not; files containing them may parse differently.

// jsSpace is JavaScript's \s.
const jsSpace = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

// dotenvLine mirrors dotenv's LINE expression with \s widened to jsSpace.
// Groups: 1 key, 2 separator, 3 raw value.
var dotenvLine = lazy.Value[*regexp.Regexp]{New: func() *regexp.Regexp {
	return regexp.MustCompile(strings.NewReplacer(`\s`, `[`+jsSpace+`]`, `ANY`, `[^\n\x{2028}\x{2029}]`).Replace(
		`(?m)^\s*(?:export\s+)?([\w.-]+)(\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*` + "`(?:\\\\`|[^`])*`" + `|[^#\r\n]+)?\s*(?:#ANY*)?$`))
}}

func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// envEntry is one parsed assignment with its place in the original bytes.
type envEntry struct {
	key, value       string
	keyStart, keyEnd int // offsets into the original content
	valueEnd         int // end of the raw value (or of the separator when there is none)
}

// normalize applies dotenv's newline normalisation and returns, for every
// byte of the result, its offset in the original (plus one final entry for
// the end).
func normalize(src string) (string, []int) {
	var b strings.Builder
	b.Grow(len(src))
	pos := make([]int, 0, len(src)+1)
	for i := 0; i < len(src); i++ {
		c := src[i]
		pos = append(pos, i) // a "\r\n" maps to its '\r', so spans stop before it
		if c == '\r' {
			c = '\n'
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
		}
		b.WriteByte(c)
	}
	pos = append(pos, len(src))
	return b.String(), pos
}

// parseEntries parses src and returns every assignment in file order
// (duplicates included).
func parseEntries(src string) []envEntry {
	norm, pos := normalize(src)
	var out []envEntry
	for _, m := range dotenvLine.Get().FindAllStringSubmatchIndex(norm, -1) {
		raw := ""
		end := m[5] // end of the separator
		if m[6] >= 0 {
			raw = norm[m[6]:m[7]]
			end = m[7]
		}
		out = append(out, envEntry{
			key:      norm[m[2]:m[3]],
			value:    unquoteDotenv(raw),
			keyStart: pos[m[2]],
			keyEnd:   pos[m[3]],
			valueEnd: pos[end],
		})
	}
	return out
}

// unquoteDotenv turns a raw matched value into the value dotenv reports.
func unquoteDotenv(raw string) string {
	v := strings.TrimFunc(raw, isJSSpace)
	if v == "" {
		return v
	}
	q := v[0]
	if len(v) >= 2 && (q == '\'' || q == '"' || q == '`') && v[len(v)-1] == q {
		v = v[1 : len(v)-1]
	}
	if q == '"' {
		v = strings.ReplaceAll(v, `\n`, "\n")
		v = strings.ReplaceAll(v, `\r`, "\r")
	}
	return v
}

// ParseDotenv returns the variables of an env file's content, later
// duplicates winning, exactly as dotenv.parse does.
func ParseDotenv(src []byte) map[string]string {
	out := map[string]string{}
	for _, e := range parseEntries(string(src)) {
		out[e.key] = e.value
	}
	return out
}
