package commands

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRelaxedJSON(t *testing.T) {
	cases := map[string]string{
		`{}`:                               `{}`,
		`{a: 1, 'b': 'x', "c": [1, 2,],}`:  `{"a":1,"b":"x","c":[1,2]}`,
		`{s: 'it\'s', n: -1.5e3, t: true}`: `{"s":"it's","n":-1.5e3,"t":true}`,
		`/* c */ {a: null} // end`:         `{"a":null}`,
		`{u: "\u00e9\n"}`:                  `{"u":"é\n"}`,
		`{h: 0x10, p: +2, d: .5}`:          `{"h":16,"p":2,"d":0.5}`,
		`[{$integer: "AQAAAAAAAAA="}]`:     `[{"$integer":"AQAAAAAAAAA="}]`,
	}
	for in, want := range cases {
		got, err := relaxedJSON(in)
		if err != nil || string(got) != want {
			t.Errorf("relaxedJSON(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{`{a:`, `{a 1}`, `[1 2]`, `'open`, `{a: 1} x`, `{a: undefined}`, ``} {
		if _, err := relaxedJSON(bad); err == nil {
			t.Errorf("relaxedJSON(%q) succeeded", bad)
		}
	}
}

func TestParseFunctionName(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "convex", "convex"), 0o755)
	os.WriteFile(filepath.Join(dir, "convex", "convex", "nested.ts"), nil, 0o644)
	cases := map[string]string{
		"messages:list":           "messages:list",
		"api.messages.list":       "messages:list",
		"internal.dir.sub.fn":     "dir/sub:fn",
		"messages.ts:list":        "messages:list",
		"messages":                "messages:default",
		"convex/messages:list":    "messages:list",
		"convex/messages.ts:list": "messages:list",
		"convex/nested:fn":        "convex/nested:fn",
		"convex/nested.ts:fn":     "convex/nested:fn",
		"dir/file.js":             "dir/file:default",
	}
	for in, want := range cases {
		got, err := parseFunctionName(in, "convex/", dir)
		if err != nil || got != want {
			t.Errorf("parseFunctionName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := parseFunctionName("api.x", "convex/", dir); err == nil || !strings.Contains(err.Error(), "too few parts") {
		t.Errorf("api.x: %v", err)
	}
}

func TestFakeIdentity(t *testing.T) {
	got, err := fakeIdentity(`{name: "Ann"}`)
	if err != nil {
		t.Fatal(err)
	}
	// subject is the 32-bit string hash of {"name":"Ann"}.
	want := `{"name":"Ann","subject":"` + itoa(int(javaHash(`{"name":"Ann"}`))) + `","issuer":"https://convex.test","tokenIdentifier":"https://convex.test|` + itoa(int(javaHash(`{"name":"Ann"}`))) + `"}`
	if string(got) != want {
		t.Errorf("identity = %s\nwant       %s", got, want)
	}
	got, _ = fakeIdentity(`{subject: "u1", issuer: "https://idp"}`)
	if !strings.Contains(string(got), `"tokenIdentifier":"https://idp|u1"`) {
		t.Errorf("identity = %s", got)
	}
	if javaHash("hello") != 99162322 {
		t.Errorf("javaHash(hello) = %d", javaHash("hello"))
	}
	if _, err := fakeIdentity(`[1]`); err == nil {
		t.Error("array identity accepted")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
