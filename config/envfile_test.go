package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/convex-go/convex/ui"
)

const depComment = "# Deployment used by `convex dev`"

func TestEnvFileSet(t *testing.T) {
	cases := []struct {
		name, in            string
		key, value, comment string
		above               string
		want                string
		unchanged           bool
	}{
		{name: "empty file gets comment line and value",
			in: "", key: "CONVEX_DEPLOYMENT", value: "dev:happy-animal-123", comment: "team: t, project: p", above: depComment,
			want: depComment + "\nCONVEX_DEPLOYMENT=dev:happy-animal-123 # team: t, project: p\n"},
		{name: "append after trailing newline leaves one blank line",
			in: "FOO=bar\n", key: "CONVEX_URL", value: "https://x.convex.cloud",
			want: "FOO=bar\n\nCONVEX_URL=https://x.convex.cloud\n"},
		{name: "append without trailing newline",
			in: "FOO=bar", key: "CONVEX_URL", value: "u",
			want: "FOO=bar\n\nCONVEX_URL=u\n"},
		{name: "append keeps CRLF style",
			in: "FOO=bar\r\n", key: "CONVEX_URL", value: "u", above: "# c",
			want: "FOO=bar\r\n\r\n# c\r\nCONVEX_URL=u\r\n"},
		{name: "same value is not rewritten even with another comment",
			in: "CONVEX_DEPLOYMENT=dev:a # team: x, project: y\n", key: "CONVEX_DEPLOYMENT", value: "dev:a", comment: "team: t, project: p",
			want: "CONVEX_DEPLOYMENT=dev:a # team: x, project: y\n", unchanged: true},
		{name: "replace keeps comment above and neighbours, drops old inline comment",
			in:  "# mine\r\n" + depComment + "\r\nCONVEX_DEPLOYMENT=dev:old # team: x, project: y\r\nOTHER = 'keep me' # note\r\n",
			key: "CONVEX_DEPLOYMENT", value: "dev:new", comment: "team: t, project: p",
			want: "# mine\r\n" + depComment + "\r\nCONVEX_DEPLOYMENT=dev:new # team: t, project: p\r\nOTHER = 'keep me' # note\r\n"},
		{name: "replace with BOM and no final newline",
			in: "\ufeffCONVEX_URL=old", key: "CONVEX_URL", value: "new",
			want: "\ufeffCONVEX_URL=new"},
		{name: "export prefix and indentation kept",
			in: "  export VITE_CONVEX_URL=\"old\"\nX=1\n", key: "VITE_CONVEX_URL", value: "new",
			want: "  export VITE_CONVEX_URL=new\nX=1\n"},
		{name: "last duplicate is the one dotenv reads",
			in: "CONVEX_URL=a\nCONVEX_URL=b\n", key: "CONVEX_URL", value: "c",
			want: "CONVEX_URL=a\nCONVEX_URL=c\n"},
		{name: "multi-line old value replaced whole",
			in: "A=\"x\ny\"\nB=2\n", key: "A", value: "z",
			want: "A=z\nB=2\n"},
		{name: "prefix-sharing names are not confused",
			in: "CONVEX_URL_BACKUP=keep\nCONVEX_URL=old\n", key: "CONVEX_URL", value: "new",
			want: "CONVEX_URL_BACKUP=keep\nCONVEX_URL=new\n"},
		{name: "value with hash is quoted",
			in: "", key: "A", value: "a#b", want: "A=\"a#b\"\n"},
		{name: "value with newline uses escape",
			in: "", key: "A", value: "l1\nl2", want: "A=\"l1\\nl2\"\n"},
		{name: "literal backslash-n stays bare when unquoted",
			in: "", key: "A", value: `a\nb "q"`, want: "A=a\\nb \"q\"\n"},
		{name: "literal backslash-n needing quotes uses single quotes",
			in: "", key: "A", value: `"a\nb"`, want: "A='\"a\\nb\"'\n"},
		{name: "empty value",
			in: "A=1\n", key: "A", value: "", want: "A=\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := NewEnvFile("test.env", []byte(c.in))
			if err := f.SetValue(c.key, c.value, c.comment, c.above); err != nil {
				t.Fatal(err)
			}
			if got := string(f.Bytes()); got != c.want {
				t.Errorf("content\n got  %q\n want %q", got, c.want)
			}
			if f.Changed() == c.unchanged {
				t.Errorf("Changed() = %v", f.Changed())
			}
			if v, ok := f.Get(c.key); !ok || v != c.value {
				t.Errorf("Get(%s) = %q, %v", c.key, v, ok)
			}
		})
	}
}

// The round trip the CLI relies on: only owned lines change; all other
// bytes, including odd ones, survive.
func TestEnvFileRoundTripKeepsOtherBytes(t *testing.T) {
	orig := "\ufeff# my settings\r\n" +
		"SECRET='multi\r\nline' # keep\r\n" +
		"\r\n" +
		"export  WEIRD = spaced   #c\r\n" +
		"CONVEX_DEPLOYMENT=dev:old\r\n" +
		"garbage that is not an assignment\r\n" +
		"NEXT_PUBLIC_CONVEX_URL=https://old.convex.cloud\r\n" +
		"TAIL=\"no newline at end\""
	dir := t.TempDir()
	path := filepath.Join(dir, ".env.local")
	if err := os.WriteFile(path, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before := f.Values()
	f.Set("CONVEX_DEPLOYMENT", "dev:new", "team: t, project: p")
	f.Set("NEXT_PUBLIC_CONVEX_URL", "https://new.convex.cloud", "")
	f.Set("NEXT_PUBLIC_CONVEX_SITE_URL", "https://new.convex.site", "")
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "\ufeff# my settings\r\n" +
		"SECRET='multi\r\nline' # keep\r\n" +
		"\r\n" +
		"export  WEIRD = spaced   #c\r\n" +
		"CONVEX_DEPLOYMENT=dev:new # team: t, project: p\r\n" +
		"garbage that is not an assignment\r\n" +
		"NEXT_PUBLIC_CONVEX_URL=https://new.convex.cloud\r\n" +
		"TAIL=\"no newline at end\"\r\n\r\n" +
		"NEXT_PUBLIC_CONVEX_SITE_URL=https://new.convex.site\r\n"
	if string(got) != want {
		t.Fatalf("saved\n got  %q\n want %q", got, want)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode changed to %v", st.Mode().Perm())
	}
	after := ParseDotenv(got)
	for k, v := range before {
		if k == "CONVEX_DEPLOYMENT" || k == "NEXT_PUBLIC_CONVEX_URL" {
			continue
		}
		if after[k] != v {
			t.Errorf("%s changed: %q -> %q", k, v, after[k])
		}
	}
}

func TestEnvFileUnrepresentableValue(t *testing.T) {
	f := NewEnvFile("x.env", []byte("A=1\n"))
	// A carriage return plus a literal `\r`: double quotes would turn both
	// into CR, other quotes cannot carry the CR at all.
	bad := "\r\\r"
	if err := f.SetValue("B", bad, "", ""); err == nil {
		t.Fatalf("expected an error, file became %q", f.Bytes())
	}
	f.Set("B", bad, "")
	if string(f.Bytes()) != "A=1\n" {
		t.Errorf("content changed: %q", f.Bytes())
	}
	if err := f.Save(); err == nil {
		t.Error("Save should report the failed Set")
	}
	if err := f.SetValue("NOT VALID", "x", "", ""); err == nil {
		t.Error("bad key accepted")
	}
}

func TestEnvFileDelete(t *testing.T) {
	f := NewEnvFile("x", []byte("A=1\r\nCONVEX_DEPLOYMENT=dev:x # c\r\nB=2"))
	if !f.Delete("CONVEX_DEPLOYMENT") {
		t.Fatal("not deleted")
	}
	if got := string(f.Bytes()); got != "A=1\r\nB=2" {
		t.Errorf("got %q", got)
	}
	if f.Delete("MISSING") {
		t.Error("deleted a missing key")
	}
}

func TestReadEnvFile(t *testing.T) {
	dir := t.TempDir()
	f, err := ReadEnvFile(filepath.Join(dir, "missing"))
	if err != nil || f.Exists() || len(f.Values()) != 0 {
		t.Fatalf("missing file: %v %v", f, err)
	}
	// Saving with nothing set does not create the file.
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Error("file created without changes")
	}
	_, err = ReadEnvFile(dir) // a directory
	var ue *ui.Error
	if err == nil || !errorsAs(err, &ue) || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: %v", err)
	}
	if os.Geteuid() != 0 {
		p := filepath.Join(dir, "noread")
		os.WriteFile(p, []byte("A=1"), 0o000)
		if _, err := ReadEnvFile(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("unreadable: %v", err)
		}
	}
}

func TestLoadProjectEnvAndLayering(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".env.local"), []byte("A=local\nB=local\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".env"), []byte("B=env\nC=env\nD=env\n"), 0o644)
	got, err := LoadProjectEnv(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "local", "B": "local", "C": "env", "D": "env"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	env, err := ProjectEnv(MapEnv{"C": "real", "D": ""}, dir)
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range map[string]string{"A": "local", "B": "local", "C": "real", "D": "", "E": ""} {
		if v := env.Get(k); v != w {
			t.Errorf("%s = %q, want %q", k, v, w)
		}
	}
	if _, ok := env.Lookup("D"); !ok {
		t.Error("empty real variable should count as set")
	}
	got2 := env.Environ([]string{"C=real", "D=", "PATH=/bin"})
	want2 := []string{"C=real", "D=", "PATH=/bin", "A=local", "B=local"}
	if !reflect.DeepEqual(got2, want2) {
		t.Errorf("Environ = %q", got2)
	}
}

func FuzzEnvFile(f *testing.F) {
	seeds := [][3]string{
		{"", "CONVEX_URL", "https://a.convex.cloud"},
		{"A=1\r\nB='x\r\ny'\r\n", "B", "z"},
		{"\ufeffexport A = \"q\" # c", "A", "has # hash"},
		{"A=\"unclosed\nB=2\n", "C", "v"},
		{"A='a\\'\nB='b'\n", "B", "it's"},
		{"X: y\n", "X", " spaced "},
		{"K=`tick`\n", "K", "multi\nline"},
		{"CONVEX_DEPLOYMENT=dev:a\nCONVEX_DEPLOYMENT=dev:b\n", "CONVEX_DEPLOYMENT", "dev:c"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, content, key, value string) {
		ef := NewEnvFile("fuzz.env", []byte(content))
		before := ef.Values() // must not panic
		if !envKeyRe.Get().MatchString(key) {
			if ef.SetValue(key, value, "", "") == nil {
				t.Fatalf("invalid key %q accepted", key)
			}
			return
		}
		if err := ef.SetValue(key, value, "c", "# above"); err != nil {
			if string(ef.Bytes()) != content {
				t.Fatal("failed Set changed the content")
			}
			return
		}
		after := ParseDotenv(ef.Bytes())
		if after[key] != value {
			t.Fatalf("Set(%q, %q) then parse = %q; file %q", key, value, after[key], ef.Bytes())
		}
		for k, v := range before {
			if k != key && after[k] != v {
				t.Fatalf("untouched %s changed %q -> %q; file %q", k, v, after[k], ef.Bytes())
			}
		}
		// The bytes before the edited definition (or the whole original, when
		// appending) are unchanged.
		if _, had := before[key]; !had && !strings.HasPrefix(string(ef.Bytes()), content) {
			t.Fatalf("append rewrote existing bytes: %q -> %q", content, ef.Bytes())
		}
	})
}
