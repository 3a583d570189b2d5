package config

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// testdata/dotenv_cases.json holds inputs with the values the npm dotenv
// 16 parser (the one the reference CLI bundles) returns for them.
// testdata/dotenv_random_cases.json are random strings over an alphabet of
// the parser's special characters, with the same parser's answers.
func TestParseDotenvMatchesReference(t *testing.T) {
	for _, name := range []string{"testdata/dotenv_cases.json", "testdata/dotenv_random_cases.json"} {
		t.Run(name, func(t *testing.T) { checkDotenvCases(t, name) })
	}
}

func checkDotenvCases(t *testing.T, name string) {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		In   string            `json:"in"`
		Want map[string]string `json:"want"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases loaded", len(cases))
	}
	for _, c := range cases {
		got := ParseDotenv([]byte(c.In))
		if !reflect.DeepEqual(got, c.Want) {
			t.Errorf("ParseDotenv(%q)\n got  %q\n want %q", c.In, got, c.Want)
		}
	}
}
