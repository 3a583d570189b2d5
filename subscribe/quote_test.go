package subscribe

import "testing"

// QuoteJS must write strings as JSON.stringify does: the npm CLI prints
// values that way and scripts compare them.
func TestQuoteJS(t *testing.T) {
	cases := map[string]string{
		"":                     `""`,
		"plain":                `"plain"`,
		`say "hi" \ there`:     `"say \"hi\" \\ there"`,
		"\b\f\n\r\t":           `"\b\f\n\r\t"`,
		"\x00\x1f\x7f":         `"\u0000\u001f` + "\x7f" + `"`,
		"<a&b>":                `"<a&b>"`,
		"ls\u2028ps\u2029":     "\"ls\u2028ps\u2029\"",
		"ünï 😀":                `"ünï 😀"`,
		`\u2028 stays escaped`: `"\\u2028 stays escaped"`,
	}
	for in, want := range cases {
		if got := QuoteJS(in); got != want {
			t.Errorf("QuoteJS(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestDisplayQuotesKeys(t *testing.T) {
	got := Display(Object{{Key: `a"b`, Value: "x\u2028"}})
	if want := "{ \"a\\\"b\": \"x\u2028\" }"; got != want {
		t.Errorf("Display = %s, want %s", got, want)
	}
}

// Results are printed with strings written as JSON.stringify writes them,
// whatever escaping the deployment chose.
func TestRequoteJSON(t *testing.T) {
	cases := map[string]string{
		`{"a":"\u003cb\u0026c\u003e","k\"q":["\u2028",1e+21,null]}`: "{\"a\":\"<b&c>\",\"k\\\"q\":[\"\u2028\",1e+21,null]}",
		`"\ud83d\ude00 \u0001 \\u2028"`:                             "\"😀 \\u0001 \\\\u2028\"",
		`[1, "x" , true]`:                                           `[1, "x" , true]`,
		`"unterminated`:                                             `"unterminated`,
		`"bad \x escape"`:                                           `"bad \x escape"`,
	}
	for in, want := range cases {
		if got := string(RequoteJSON([]byte(in))); got != want {
			t.Errorf("RequoteJSON(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestDisplayOrdersKeysAsJavaScript(t *testing.T) {
	o := Object{{Key: "b", Value: 1.0}, {Key: "10", Value: 2.0}, {Key: "2", Value: 3.0}, {Key: "a", Value: 4.0},
		{Key: "01", Value: 5.0}, {Key: "-1", Value: 6.0}, {Key: "4294967295", Value: 7.0}, {Key: "0", Value: 8.0}}
	want := `{ "0": 8, "2": 3, "10": 2, "b": 1, "a": 4, "01": 5, "-1": 6, "4294967295": 7 }`
	if got := Display(o); got != want {
		t.Errorf("Display = %s\nwant      %s", got, want)
	}
}

// A deployment may send object keys sorted as strings (Convex's cloud
// does); printed results list them as JSON.stringify would.
func TestEncodeOrdersKeysAsJavaScript(t *testing.T) {
	v, err := Decode([]byte(`{"-1":1,"10":2,"2":{"b":"<\u2028>","1":[]},"a":{"$integer":"AQAAAAAAAAA="}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"2\":{\"1\":[],\"b\":\"<\u2028>\"},\"10\":2,\"-1\":1,\"a\":{\"$integer\":\"AQAAAAAAAAA=\"}}"
	if got := Encode(v, ""); got != want {
		t.Errorf("Encode = %s\nwant     %s", got, want)
	}
}
